## Site
site-name = centrale
site-tagline = Centrale d'achat des institutions bruxelloises
site-description = Catalogue de la centrale d'achat : matériel de protection et services commandés sous marchés-cadres, livrés en 7 jours ouvrables.
language-name = Français
skip-to-content = Aller au contenu
nav-label = Navigation principale
nav-catalogue = Catalogue
breadcrumb-label = Vous êtes ici
footer-promise = Confirmation de chaque commande sous 24 heures, livraison en 7 jours ouvrables, cascade de 5 fournisseurs au plus par lot.
footer-payment = Les institutions paient directement le fournisseur ; la centrale ne traite aucun paiement.
back-to-catalogue = Retour au catalogue

## Catalogue
catalogue-title = Catalogue
catalogue-intro = Produits et services des marchés-cadres attribués par la centrale d'achat. Le prix affiché est celui du fournisseur qui recevrait votre commande maintenant.
catalogue-count = { $lots ->
    [one] { $products } produits dans { $lots } lot
   *[other] { $products } produits dans { $lots } lots
}
catalogue-empty = Aucun lot n'est publié pour le moment.
search-label = Rechercher un produit
search-hint = Nom, référence (SKU) ou norme, par exemple « FFP2 » ou « EN 455 ».
search-button = Rechercher
search-clear = Effacer la recherche
search-results-title = Résultats pour
search-result-count = { $products ->
    [0] Aucun produit trouvé.
    [one] { $products } produit trouvé.
   *[other] { $products } produits trouvés.
}
search-nothing = Aucun produit ne correspond à votre recherche. Essayez un autre mot ou une norme.
category-label = Catégorie
category-all = Toutes les catégories
lot-label = Lot
lot-reference = Réf.
lot-validity = valable du { $from } au { $until }
lot-not-yet-valid = Ce marché n'est pas encore en vigueur : les commandes seront possibles à partir de sa date de début.
lot-expired = Ce marché est arrivé à échéance : il n'accepte plus de commandes.
lot-closed = Ce marché est clôturé : il n'accepte plus de commandes.
products-of-lot = Produits du lot { $lot }
col-product = Produit
col-packaging = Conditionnement
col-standards = Normes
col-price = Prix HTVA
col-vat = TVA
sku-label = Réf.
quantity-rule = { $multiple ->
    [1] Minimum { $min }
   *[other] Minimum { $min }, par multiples de { $multiple }
}
order-quantity = Quantité commandable
price-from-rank = prix du fournisseur n° { $rank }
currently-unavailable = Indisponible actuellement
unavailable-explained = Aucun fournisseur de la cascade ne peut livrer ce produit pour le moment.
cascade-explained = Chaque commande est adressée au premier fournisseur disponible de la cascade ; s'il refuse ou ne répond pas à temps, le suivant la reçoit.
price-heading = Prix actuel
excl-vat = HTVA
incl-vat = TVA comprise
current-supplier = Fournisseur : { $supplier } (rang { $rank } de la cascade)
price-may-change = Le prix final est celui du fournisseur qui accepte la commande ; vous serez informé s'il diffère.

## Errors
error-not-found-title = Page introuvable
error-not-found-message = Cette page n'existe pas ou n'est plus publiée.
error-internal-title = Une erreur est survenue
error-internal-message = Nous n'avons pas pu afficher cette page. Réessayez dans un instant ; si le problème persiste, contactez la centrale d'achat.
error-unavailable-title = Service momentanément indisponible
error-unavailable-message = Le service est très sollicité. Réessayez dans quelques secondes : rien de ce que vous avez envoyé n'est perdu.

## Field validation
required = Ce champ est obligatoire.
too-long = Ce texte est trop long.
invalid-characters = Ce texte contient des caractères non autorisés.
enterprise-number-empty = Indiquez le numéro d'entreprise.
enterprise-number-invalid-character = Un numéro d'entreprise ne contient que des chiffres (points et espaces admis).
enterprise-number-wrong-length = Un numéro d'entreprise compte 10 chiffres, par exemple 0403.019.261.
enterprise-number-first-digit = Un numéro d'entreprise commence par 0 ou 1.
enterprise-number-checksum = Ce numéro d'entreprise n'est pas valide (chiffres de contrôle incorrects). Vérifiez-le dans la Banque-Carrefour des Entreprises.
enterprise-number-taken = Ce numéro d'entreprise est déjà enregistré.
email-empty = Indiquez une adresse e-mail.
email-too-long = Cette adresse e-mail est trop longue.
email-invalid = Cette adresse e-mail n'est pas valide, par exemple nom@institution.be.
email-taken = Un compte existe déjà avec cette adresse e-mail.
money-empty = Indiquez un montant.
money-invalid = Ce montant n'est pas valide, par exemple 12,50.
money-negative = Un prix ne peut pas être négatif.
money-too-many-decimals = Un montant a au plus deux décimales.
money-ambiguous = Montant ambigu : écrivez par exemple 1234,00 ou 1,23.
money-too-large = Ce montant est trop élevé.
money-overflow = Ce montant est trop élevé.
rank-out-of-range = Le rang d'un fournisseur va de 1 à 5.
cascade-full = Une cascade compte au plus 5 fournisseurs.
cascade-duplicate-rank = Ce rang est déjà occupé dans la cascade.
cascade-duplicate-supplier = Ce fournisseur figure déjà dans la cascade.
quantity-zero = Indiquez une quantité d'au moins 1.
quantity-below-minimum = La quantité est inférieure au minimum de commande.
quantity-not-multiple = La quantité doit être un multiple du conditionnement de commande.
quantity-too-large = Cette quantité est trop élevée.
quantity-rule-invalid = Le minimum et le multiple de commande doivent valoir au moins 1.
sku-empty = Indiquez une référence produit.
sku-too-long = Une référence produit compte au plus 40 caractères.
sku-invalid-character = Une référence produit ne contient que des lettres, chiffres, tirets, points et soulignés.
sku-taken = Un produit porte déjà cette référence.
language-invalid = Choisissez le français ou le néerlandais.
postcode-invalid = Un code postal belge compte 4 chiffres.
password-too-short = Le mot de passe doit compter au moins 12 caractères.
password-too-long = Le mot de passe compte au plus 256 caractères.
