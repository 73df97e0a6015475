## suppliers
admin-suppliers-title = Leveranciers
suppliers-count = { $count ->
    [0] Geen leveranciers
    [one] 1 leverancier
   *[other] { $count } leveranciers
}
supplier-field-name = Naam van de leverancier
supplier-field-email = E-mailadres voor bestellingen
supplier-language-fr = Frans
supplier-language-nl = Nederlands
supplier-status-active = Actief
supplier-status-suspended = Geschorst
supplier-places = Percelen en rangen
supplier-places-none = Deze leverancier staat in geen enkele cascade.
supplier-lot = Perceel
supplier-rank = rang
supplier-place-active = Actieve plaats
supplier-yes = Ja
supplier-no = Nee
supplier-clients-count = Actieve API-clients
supplier-webhook = Webhook
supplier-webhook-set = Ingesteld
supplier-webhook-none = Geen
supplier-created-on = Aangemaakt op
supplier-new-heading = Nieuwe leverancier
supplier-create-button = Leverancier aanmaken
supplier-edit-heading = Leverancier wijzigen
supplier-save-button = Opslaan
supplier-status-heading = Status van de leverancier
supplier-suspend-explanation = Een geschorste leverancier krijgt geen nieuwe bestellingen meer en zijn API-clients worden onmiddellijk geweigerd.
supplier-suspend-button = Leverancier schorsen
supplier-reactivate-button = Leverancier opnieuw activeren
supplier-created-flash = Leverancier aangemaakt.
supplier-updated-flash = Leverancier gewijzigd.
supplier-suspended-flash = Leverancier geschorst: hij krijgt geen bestellingen meer en zijn API-clients worden geweigerd.
supplier-reactivated-flash = Leverancier opnieuw geactiveerd.
supplier-enterprise-number-taken = Er is al een leverancier geregistreerd met dit ondernemingsnummer.
supplier-status-conflict = De status van de leverancier is intussen gewijzigd; laad de pagina opnieuw.
supplier-clients-heading = API-clients
supplier-clients-none = Geen API-clients.
client-id = Client-id
client-name = Naam van de client
client-name-hint = Bijvoorbeeld „ERP bestellingen”.
client-created = Aangemaakt op
client-revoked = Ingetrokken op
client-actions = Acties
client-revoke-link = Intrekken
client-issue-button = API-client uitgeven
client-issued-title = API-client uitgegeven
client-secret = Geheim
client-secret-once = Kopieer dit geheim nu: het wordt nooit meer getoond. Alleen de vingerafdruk wordt bewaard.
client-back-to-supplier = Terug naar de leverancier
client-revoke-title = API-client intrekken
client-revoke-explanation = De client kan geen token meer krijgen en zijn huidige tokens worden onmiddellijk geweigerd.
client-revoke-confirm = Definitief intrekken
client-revoke-cancel = Annuleren
client-already-revoked = Deze client is al ingetrokken sinds
client-revoked-flash = API-client ingetrokken.
admin-audit-title = Auditlogboek
audit-filter-actor = Uitvoerder (bevat)
audit-filter-action = Actie
audit-filter-subject-type = Soort object
audit-filter-from = Van (datum in Brussel)
audit-filter-until = Tot en met
audit-all = Alle
audit-date-invalid = Geef een datum in de vorm JJJJ-MM-DD.
audit-count = { $count ->
    [0] Geen gebeurtenissen
    [one] 1 gebeurtenis
   *[other] { $count } gebeurtenissen
}
audit-caption = Gebeurtenissen, pagina { $page } van { $pages }
audit-download-csv = Downloaden als CSV
audit-download-xlsx = Downloaden als XLSX
audit-column-when = Datum (UTC)
audit-column-when-local = Datum (Brusselse tijd)
audit-column-actor = Uitvoerder
audit-column-action = Actie
audit-column-subject = Object
audit-column-subject-type = Soort object
audit-column-subject-id = Id van het object
audit-column-details = Details
audit-pagination = Pagina's van het logboek
audit-previous = Vorige pagina
audit-next = Volgende pagina
audit-supplier-created = Leverancier aangemaakt
audit-supplier-updated = Leverancier gewijzigd
audit-supplier-suspended = Leverancier geschorst
audit-supplier-reactivated = Leverancier opnieuw geactiveerd
audit-supplier-availability_changed = Beschikbaarheid gewijzigd
audit-supplier-webhook_registered = Webhook ingesteld
audit-supplier-webhook_removed = Webhook verwijderd
audit-api_client-issued = API-client uitgegeven
audit-api_client-revoked = API-client ingetrokken
