## open-data
