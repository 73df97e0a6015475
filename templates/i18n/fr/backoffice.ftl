## backoffice
