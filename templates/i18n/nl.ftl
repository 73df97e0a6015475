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
