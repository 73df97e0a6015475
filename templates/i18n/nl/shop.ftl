## Site
site-name = centrale
site-tagline = Aankoopcentrale van de Brusselse instellingen
site-description = Catalogus van de aankoopcentrale: beschermingsmateriaal en diensten besteld via raamovereenkomsten, geleverd binnen 7 werkdagen.
language-name = Nederlands
skip-to-content = Naar de inhoud
nav-label = Hoofdnavigatie
nav-catalogue = Catalogus
breadcrumb-label = U bent hier
footer-promise = Bevestiging van elke bestelling binnen 24 uur, levering binnen 7 werkdagen, een cascade van hoogstens 5 leveranciers per perceel.
footer-payment = Instellingen betalen de leverancier rechtstreeks; de aankoopcentrale verwerkt geen betalingen.
back-to-catalogue = Terug naar de catalogus

## Catalogue
catalogue-title = Catalogus
catalogue-intro = Producten en diensten uit de raamovereenkomsten die de aankoopcentrale heeft gegund. De getoonde prijs is die van de leverancier die uw bestelling nu zou ontvangen.
catalogue-count = { $lots ->
    [one] { $products } producten in { $lots } perceel
   *[other] { $products } producten in { $lots } percelen
}
catalogue-empty = Er is momenteel geen perceel gepubliceerd.
search-label = Een product zoeken
search-hint = Naam, referentie (SKU) of norm, bijvoorbeeld "FFP2" of "EN 455".
search-button = Zoeken
search-clear = Zoekopdracht wissen
search-results-title = Resultaten voor
search-result-count = { $products ->
    [0] Geen producten gevonden.
    [one] { $products } product gevonden.
   *[other] { $products } producten gevonden.
}
catalogue-page-of = Pagina { $page } van { $pages }.
catalogue-lot-continued = (vervolg)
pagination-label = Pagina's van de catalogus
pagination-previous = Vorige pagina
pagination-next = Volgende pagina
pagination-page = Pagina { $page }
search-nothing = Geen enkel product komt overeen met uw zoekopdracht. Probeer een ander woord of een norm.
category-label = Categorie
category-all = Alle categorieën
lot-label = Perceel
lot-reference = Ref.
lot-validity = geldig van { $from } tot { $until }
lot-not-yet-valid = Deze overeenkomst is nog niet van kracht: bestellen kan vanaf de begindatum.
lot-expired = Deze overeenkomst is verlopen: er kunnen geen bestellingen meer worden geplaatst.
lot-closed = Deze overeenkomst is afgesloten: er kunnen geen bestellingen meer worden geplaatst.
products-of-lot = Producten van perceel { $lot }
col-product = Product
col-packaging = Verpakking
col-standards = Normen
col-price = Prijs excl. btw
col-vat = Btw
sku-label = Ref.
quantity-rule = { $multiple ->
    [1] Minimum { $min }
   *[other] Minimum { $min }, per veelvoud van { $multiple }
}
order-quantity = Bestelbare hoeveelheid
price-from-rank = prijs van leverancier nr. { $rank }
currently-unavailable = Momenteel niet beschikbaar
unavailable-explained = Geen enkele leverancier van de cascade kan dit product op dit moment leveren.
cascade-explained = Elke bestelling gaat naar de eerste beschikbare leverancier van de cascade; weigert die of antwoordt die niet op tijd, dan ontvangt de volgende ze.
price-heading = Huidige prijs
excl-vat = excl. btw
incl-vat = incl. btw
current-supplier = Leverancier: { $supplier } (rang { $rank } in de cascade)
price-may-change = De uiteindelijke prijs is die van de leverancier die de bestelling aanvaardt; u wordt verwittigd als hij verschilt.

## Errors
error-not-found-title = Pagina niet gevonden
error-not-found-message = Deze pagina bestaat niet of is niet meer gepubliceerd.
error-internal-title = Er is een fout opgetreden
error-internal-message = We konden deze pagina niet tonen. Probeer het zo meteen opnieuw; blijft het probleem bestaan, neem dan contact op met de aankoopcentrale.
error-unavailable-title = Dienst tijdelijk niet beschikbaar
error-unavailable-message = De dienst is erg druk. Probeer het over enkele seconden opnieuw: niets van wat u verstuurde, gaat verloren.
error-too-large-title = Verzoek te groot
error-too-large-message = Wat u verstuurde, is groter dan toegestaan. Maak het kleiner of splits het en probeer opnieuw.

## Field validation
required = Dit veld is verplicht.
too-long = Deze tekst is te lang.
invalid-characters = Deze tekst bevat niet-toegestane tekens.
enterprise-number-empty = Vul het ondernemingsnummer in.
enterprise-number-invalid-character = Een ondernemingsnummer bevat alleen cijfers (punten en spaties zijn toegestaan).
enterprise-number-wrong-length = Een ondernemingsnummer telt 10 cijfers, bijvoorbeeld 0403.019.261.
enterprise-number-first-digit = Een ondernemingsnummer begint met 0 of 1.
enterprise-number-checksum = Dit ondernemingsnummer is niet geldig (controlecijfers kloppen niet). Controleer het in de Kruispuntbank van Ondernemingen.
enterprise-number-taken = Dit ondernemingsnummer is al geregistreerd.
email-empty = Vul een e-mailadres in.
email-too-long = Dit e-mailadres is te lang.
email-invalid = Dit e-mailadres is niet geldig, bijvoorbeeld naam@instelling.be.
email-taken = Er bestaat al een account met dit e-mailadres.
money-empty = Vul een bedrag in.
money-invalid = Dit bedrag is niet geldig, bijvoorbeeld 12,50.
money-negative = Een prijs kan niet negatief zijn.
money-too-many-decimals = Een bedrag heeft hoogstens twee decimalen.
money-ambiguous = Dubbelzinnig bedrag: schrijf bijvoorbeeld 1234,00 of 1,23.
money-too-large = Dit bedrag is te hoog.
money-overflow = Dit bedrag is te hoog.
rank-out-of-range = De rang van een leverancier gaat van 1 tot 5.
cascade-full = Een cascade telt hoogstens 5 leveranciers.
cascade-duplicate-rank = Deze rang is al bezet in de cascade.
cascade-duplicate-supplier = Deze leverancier staat al in de cascade.
quantity-zero = Vul een hoeveelheid van minstens 1 in.
quantity-below-minimum = De hoeveelheid ligt onder de minimale bestelhoeveelheid.
quantity-not-multiple = De hoeveelheid moet een veelvoud zijn van de bestelverpakking.
quantity-too-large = Deze hoeveelheid is te groot.
quantity-rule-invalid = Het minimum en het veelvoud moeten minstens 1 zijn.
sku-empty = Vul een productreferentie in.
sku-too-long = Een productreferentie telt hoogstens 40 tekens.
sku-invalid-character = Een productreferentie bevat alleen letters, cijfers, koppeltekens, punten en liggende streepjes.
sku-taken = Er bestaat al een product met deze referentie.
language-invalid = Kies Frans of Nederlands.
postcode-invalid = Een Belgische postcode telt 4 cijfers.
password-too-short = Het wachtwoord moet minstens 12 tekens tellen.
password-too-long = Het wachtwoord telt hoogstens 256 tekens.

## Accounts
nav-apply = Lid worden
nav-login = Aanmelden
nav-logout = Afmelden
nav-memberships = Lidmaatschappen
nav-lots = Percelen en cascades
nav-suppliers = Leveranciers
nav-import = Import
nav-reports = Rapporten
nav-audit = Logboek
error-prefix = Fout:
field-email = E-mailadres
field-password = Wachtwoord
login-title = Aanmelden
login-button = Aanmelden
login-failed = E-mailadres of wachtwoord onjuist.
login-inactive = Deze account kan zich momenteel niet aanmelden: het lidmaatschap van uw instelling is niet actief. Neem contact op met de aankoopcentrale.
login-rate-limited = Te veel aanmeldpogingen. Probeer het opnieuw over { $minutes } minuut/minuten.
login-no-account = Is uw instelling nog geen lid?
forgot-link = Wachtwoord vergeten?
forgot-title = Wachtwoord vergeten
forgot-intro = Vul het e-mailadres van uw account in: we sturen u een link om een nieuw wachtwoord te kiezen.
forgot-button = Link versturen
forgot-sent = Als er een account bestaat voor dit adres, werd er zopas een e-mail met een link naartoe gestuurd. De link is twee uur geldig.
activate-title = Uw account activeren
activate-intro = Kies het wachtwoord van uw account. Daarna kunt u zich aanmelden met uw e-mailadres.
reset-title = Nieuw wachtwoord
reset-intro = Kies uw nieuwe wachtwoord.
field-new-password = Nieuw wachtwoord
field-password-confirmation = Bevestig het wachtwoord
password-hint = Minstens 12 tekens. Een makkelijk te onthouden zin is prima.
password-save = Wachtwoord opslaan
password-mismatch = De twee wachtwoorden zijn niet gelijk.
link-problem-title = Link onbruikbaar
token-unknown = Deze link is niet geldig. Controleer of u het volledige adres hebt gekopieerd.
token-expired = Deze link is verlopen. Vraag een nieuwe aan.
token-used = Deze link werd al gebruikt. Meld u aan, of vraag een nieuw wachtwoord aan.
activated-flash = Uw account is geactiveerd. U kunt zich aanmelden.
password-changed-flash = Uw wachtwoord werd gewijzigd. U kunt zich aanmelden.
error-forbidden-title = Toegang geweigerd
error-forbidden-message = Uw account geeft geen toegang tot deze pagina.
error-csrf-title = Formulier verlopen
error-csrf-message = Dit formulier kon niet worden gecontroleerd (te oude pagina of van elders verstuurd). Herlaad de pagina en probeer opnieuw.

## Membership application
apply-title = Aanvraag tot lidmaatschap
apply-intro = Brusselse instellingen uit de sociale sector, de gezondheidszorg en besturen kunnen bestellen via de aankoopcentrale. Na controle krijgt elke aangeduide koper een link om zijn account te activeren.
required-legend = Velden met een * zijn verplicht.
form-has-errors = { $count ->
    [one] Het formulier bevat een fout: die staat naast het betrokken veld.
   *[other] Het formulier bevat { $count } fouten: elke fout staat naast het betrokken veld.
}
apply-institution = Instelling
field-institution-name = Naam van de instelling
field-enterprise-number = Ondernemingsnummer
enterprise-number-hint = 10 cijfers, bijvoorbeeld 0403.019.261 (KBO).
field-authority = Bevoegde overheid
field-sector = Sector
field-language = Taal
choose-one = Kies…
apply-billing = Facturatieadres
field-street = Straat en nummer
field-postcode = Postcode
field-city = Gemeente
apply-delivery-first = Leveringsadres
apply-delivery-more = Leveringsadres { $number } (facultatief)
field-address-label = Naam van het adres
address-label-hint = Bijvoorbeeld "Leveringsingang" of de naam van de site.
apply-contact = Contactpersoon
apply-contact-hint = De persoon die de aanvraag indient; die ontvangt het ontvangstbewijs.
field-person-name = Naam en voornaam
apply-buyer-first = Koper
apply-buyer-more = Koper { $number } (facultatief)
apply-buyers-hint = De personen die voor de instelling zullen bestellen. Elk krijgt een eigen account.
apply-button = Aanvraag versturen
apply-submitted-title = Aanvraag verstuurd
apply-submitted-message = Dank u. De aanvraag tot lidmaatschap van { $institution } is geregistreerd; er werd een ontvangstbewijs gestuurd naar { $email }.
apply-submitted-next = De aankoopcentrale beoordeelt elke aanvraag. Zodra ze goedgekeurd is, krijgt elke koper een e-mail om zijn account te activeren.
buyers-required = Vul minstens één persoon in die zal bestellen.
buyers-too-many = Hoogstens tien kopers per aanvraag; anderen kunnen later worden toegevoegd.
email-repeated = Deze persoon staat al hierboven.
authority-unknown = Kies een bevoegde overheid uit de lijst.
sector-unknown = Kies een sector uit de lijst.
delivery-required = Vul minstens één leveringsadres in.
institution-status-invalid = Onbekende status.
role-binding = Deze account is niet correct gekoppeld.

## Authority: memberships
admin-memberships-title = Aanvragen en leden
field-status = Status
all-statuses = Alle statussen
all-authorities = Alle overheden
filter-button = Filteren
memberships-count = { $count ->
    [0] Geen instellingen.
    [one] { $count } instelling.
   *[other] { $count } instellingen.
}
applied-on = Aanvraag van
decided-on = Beslissing van
status-pending = In behandeling
status-active = Actief
status-suspended = Geschorst
status-rejected = Geweigerd
user-status-invited = Uitgenodigd
user-status-active = Actief
user-status-disabled = Gedeactiveerd
field-reason = Reden
field-reason-optional = Reden (facultatief)
delivery-addresses = Leveringsadressen
buyers-heading = Kopers
review-heading = Beslissing
approve-button = Lidmaatschap goedkeuren
reject-button = Weigeren met deze reden
manage-heading = Beheer van het lid
suspend-button = Instelling schorsen
reactivate-button = Instelling opnieuw activeren
add-user-heading = Een koper toevoegen
add-user-button = Toevoegen en activatielink versturen
history-heading = Geschiedenis
history-when = Wanneer
history-who = Wie
history-what = Wat
history-empty = Nog geen beslissing geregistreerd.
audit-membership-approved = Lidmaatschap goedgekeurd
audit-membership-rejected = Lidmaatschap geweigerd
audit-institution-suspended = Instelling geschorst
audit-institution-reactivated = Instelling opnieuw geactiveerd
audit-institution-user_added = Koper toegevoegd
approved-flash = Lidmaatschap goedgekeurd: de kopers krijgen hun activatielink.
rejected-flash = Lidmaatschap geweigerd: de aanvrager wordt per e-mail verwittigd.
suspended-flash = Instelling geschorst: haar kopers kunnen niet meer bestellen.
reactivated-flash = Instelling opnieuw geactiveerd.
user-added-flash = Koper toegevoegd.
membership-not-pending = Deze aanvraag werd al behandeld.
institution-status = Deze actie is niet mogelijk in de huidige status van de instelling.

## Ordering
nav-cart = Winkelmandje
nav-orders = Mijn bestellingen
add-to-cart = In het winkelmandje
cart-title = Winkelmandje
cart-empty = Uw winkelmandje is leeg.
cart-intro = { $lots ->
    [one] Dit winkelmandje wordt één bestelling.
   *[other] Dit winkelmandje bevat producten uit { $lots } percelen: het wordt { $lots } bestellingen, één per perceel, samen geplaatst.
}
cart-update = Wijzigen
cart-price-note = De prijzen zijn die van de leverancier die de bestelling nu zou ontvangen; de uiteindelijke prijs is die van de leverancier die ze aanvaardt. Zet een hoeveelheid op 0 om een product te verwijderen.
cart-updated-flash = Winkelmandje bijgewerkt.
cart-removed-flash = Product uit het winkelmandje verwijderd.
col-quantity = Hoeveelheid
col-line-total = Totaal excl. btw
col-order = Bestelling
col-placed = Geplaatst op
col-delivery = Levering
total-excl-vat = Totaal excl. btw
total-incl-vat = Totaal incl. btw
vat-at-rate = Btw { $rate } op { $taxable }
field-delivery-address = Leveringsadres
field-buyer-reference = Uw referentie (bestelbon)
buyer-reference-hint = Facultatief: ze staat op de bestelling die de leverancier ontvangt.
checkout-button = Bestelling bevestigen
order-placed-flash = Bestelling geregistreerd. Ze gaat naar de eerste beschikbare leverancier; u krijgt binnen 24 uur een bevestiging per e-mail.
orders-title = Mijn bestellingen
orders-empty = U hebt nog geen bestelling geplaatst.
just-placed = nieuw
order-heading = Bestelling { $reference }
order-institution = Instelling
order-lines = Bestelde producten
order-supplier = Leverancier
order-waiting-on = Wacht op
order-waiting-detail = { $supplier } (rang { $rank } in de cascade), antwoord verwacht vóór { $deadline }
order-expected-delivery = Levering verwacht op
order-delivery-due = Levering uiterlijk op
order-price-changed = Het uiteindelijke totaal excl. btw ({ $final }) verschilt van het bedrag bij het bestellen ({ $shown }): een andere leverancier van de cascade heeft de bestelling aanvaard.
order-cancel = Bestelling annuleren
order-request-cancel = Annulering vragen aan de leverancier
order-cancelled-flash = Bestelling geannuleerd.
order-cancellation-requested-flash = Annuleringsverzoek naar de leverancier gestuurd.
rank-n = rang { $rank }
order-status-placed = Geregistreerd
order-status-routed = Bij een leverancier
order-status-confirmed = Bevestigd
order-status-shipped = Verzonden
order-status-delivered = Geleverd
order-status-unfulfilled = Niet uitgevoerd
order-status-cancelled = Geannuleerd
order-status-cancellation-requested = Annulering gevraagd
order-event-placed = Bestelling geregistreerd
order-event-offered = Doorgestuurd naar de leverancier
order-event-accepted = Aanvaard door de leverancier
order-event-declined = Geweigerd door de leverancier
order-event-timed-out = Geen antwoord van de leverancier binnen de termijn
order-event-unfulfilled = Geen enkele leverancier van de cascade kan leveren
order-event-breach = Bevestigingstermijn van 24 uur overschreden
order-event-cancelled = Bestelling geannuleerd
order-event-cancellation-requested = Annulering gevraagd aan de leverancier
delivery-address-unknown = Kies een van uw leveringsadressen.
buyer-reference-invalid = De referentie telt hoogstens 100 tekens, op één regel.
order-empty = De bestelling bevat geen enkel product.
order-too-many-lines = Een bestelling telt hoogstens 200 regels.
product-unknown = Dit product staat niet meer in de catalogus.
lot-not-orderable = De overeenkomst van dit product aanvaardt momenteel geen bestellingen.
product-repeated = Dit product staat er twee keer in.
quantity-not-a-number = Vul een hoeveelheid in als geheel getal.
institution-not-active = Het lidmaatschap van uw instelling is niet actief.
order-not-cancellable = Deze bestelling kan niet meer worden geannuleerd.
order-changed = De bestelling is intussen gewijzigd; bekijk ze opnieuw.
error-conflict-title = Actie niet mogelijk
product-unavailable = Dit product is momenteel bij geen enkele leverancier van de overeenkomst beschikbaar.

## API reference
api-docs-title = API-referentie
api-docs-intro = De API van de aankoopcentrale: catalogus, lidmaatschappen, bestellingen van instellingen, API voor leveranciers en beheer. Fouten zijn "problem"-documenten (RFC 9457).
api-docs-version = Versie
api-docs-download = OpenAPI-document (JSON)
api-docs-contents = Bewerkingen
api-docs-security = Authenticatie:
api-docs-public = geen (openbaar)
api-docs-bearer = toegangstoken (Authorization: Bearer)
api-docs-parameters = Parameters
api-docs-name = Naam
api-docs-location = Plaats
api-docs-type = Type
api-docs-required = Verplicht
api-docs-description = Beschrijving
api-docs-yes = ja
api-docs-no = nee
api-docs-request-body = Inhoud van het verzoek
api-docs-responses = Antwoorden
api-docs-status = Status
api-docs-body = Inhoud
