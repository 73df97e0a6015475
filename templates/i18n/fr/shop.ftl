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
catalogue-page-of = Page { $page } sur { $pages }.
catalogue-lot-continued = (suite)
pagination-label = Pages du catalogue
pagination-previous = Page précédente
pagination-next = Page suivante
pagination-page = Page { $page }
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
error-too-large-title = Requête trop volumineuse
error-too-large-message = Ce que vous avez envoyé dépasse la taille acceptée. Réduisez-le ou scindez-le, puis réessayez.

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

## Accounts
nav-apply = Adhérer
nav-login = Se connecter
nav-logout = Se déconnecter
nav-memberships = Adhésions
nav-lots = Lots et cascades
nav-suppliers = Fournisseurs
nav-import = Import
nav-reports = Rapports
nav-audit = Journal
error-prefix = Erreur :
field-email = Adresse e-mail
field-password = Mot de passe
login-title = Connexion
login-button = Se connecter
login-failed = Adresse e-mail ou mot de passe incorrect.
login-inactive = Ce compte ne peut pas se connecter pour le moment : l'adhésion de votre institution n'est pas active. Contactez la centrale d'achat.
login-rate-limited = Trop de tentatives de connexion. Réessayez dans { $minutes } minute(s).
login-no-account = Votre institution n'est pas encore membre ?
forgot-link = Mot de passe oublié ?
forgot-title = Mot de passe oublié
forgot-intro = Indiquez l'adresse e-mail de votre compte : nous vous enverrons un lien pour choisir un nouveau mot de passe.
forgot-button = Envoyer le lien
forgot-sent = Si un compte existe pour cette adresse, un e-mail avec un lien vient de lui être envoyé. Le lien est valable deux heures.
activate-title = Activer votre compte
activate-intro = Choisissez le mot de passe de votre compte. Vous pourrez ensuite vous connecter avec votre adresse e-mail.
reset-title = Nouveau mot de passe
reset-intro = Choisissez votre nouveau mot de passe.
field-new-password = Nouveau mot de passe
field-password-confirmation = Confirmez le mot de passe
password-hint = Au moins 12 caractères. Une phrase facile à retenir convient très bien.
password-save = Enregistrer le mot de passe
password-mismatch = Les deux mots de passe ne sont pas identiques.
link-problem-title = Lien inutilisable
token-unknown = Ce lien n'est pas valable. Vérifiez que vous avez copié l'adresse complète.
token-expired = Ce lien a expiré. Demandez-en un nouveau.
token-used = Ce lien a déjà été utilisé. Connectez-vous, ou demandez un nouveau mot de passe.
activated-flash = Votre compte est activé. Vous pouvez vous connecter.
password-changed-flash = Votre mot de passe a été modifié. Vous pouvez vous connecter.
error-forbidden-title = Accès refusé
error-forbidden-message = Votre compte ne donne pas accès à cette page.
error-csrf-title = Formulaire expiré
error-csrf-message = Ce formulaire n'a pas pu être vérifié (page trop ancienne ou envoyée d'ailleurs). Rechargez la page et réessayez.

## Membership application
apply-title = Demande d'adhésion
apply-intro = Les institutions bruxelloises du secteur social, de la santé et les administrations peuvent commander via la centrale d'achat. Après vérification, chaque acheteur désigné reçoit un lien pour activer son compte.
required-legend = Les champs marqués d'un * sont obligatoires.
form-has-errors = { $count ->
    [one] Le formulaire contient une erreur : elle est indiquée à côté du champ concerné.
   *[other] Le formulaire contient { $count } erreurs : chacune est indiquée à côté du champ concerné.
}
apply-institution = Institution
field-institution-name = Nom de l'institution
field-enterprise-number = Numéro d'entreprise
enterprise-number-hint = 10 chiffres, par exemple 0403.019.261 (BCE).
field-authority = Autorité compétente
field-sector = Secteur
field-language = Langue
choose-one = Choisissez…
apply-billing = Adresse de facturation
field-street = Rue et numéro
field-postcode = Code postal
field-city = Commune
apply-delivery-first = Adresse de livraison
apply-delivery-more = Adresse de livraison { $number } (facultative)
field-address-label = Nom de l'adresse
address-label-hint = Par exemple « Entrée des livraisons » ou le nom du site.
apply-contact = Personne de contact
apply-contact-hint = La personne qui introduit la demande ; elle recevra l'accusé de réception.
field-person-name = Nom et prénom
apply-buyer-first = Acheteur
apply-buyer-more = Acheteur { $number } (facultatif)
apply-buyers-hint = Les personnes qui commanderont pour l'institution. Chacune recevra son propre compte.
apply-button = Envoyer la demande
apply-submitted-title = Demande envoyée
apply-submitted-message = Merci. La demande d'adhésion de { $institution } est enregistrée ; un accusé de réception a été envoyé à { $email }.
apply-submitted-next = La centrale d'achat examine chaque demande. Dès son approbation, chaque acheteur recevra un e-mail pour activer son compte.
buyers-required = Indiquez au moins une personne qui commandera.
buyers-too-many = Dix acheteurs au plus par demande ; d'autres pourront être ajoutés ensuite.
email-repeated = Cette personne figure déjà plus haut.
authority-unknown = Choisissez une autorité compétente dans la liste.
sector-unknown = Choisissez un secteur dans la liste.
delivery-required = Indiquez au moins une adresse de livraison.
institution-status-invalid = Statut inconnu.
role-binding = Ce compte n'est pas rattaché correctement.

## Authority: memberships
admin-memberships-title = Demandes d'adhésion et membres
field-status = Statut
all-statuses = Tous les statuts
all-authorities = Toutes les autorités
filter-button = Filtrer
memberships-count = { $count ->
    [0] Aucune institution.
    [one] { $count } institution.
   *[other] { $count } institutions.
}
applied-on = Demande du
decided-on = Décision du
status-pending = En attente
status-active = Active
status-suspended = Suspendue
status-rejected = Refusée
user-status-invited = Invité
user-status-active = Actif
user-status-disabled = Désactivé
field-reason = Motif
field-reason-optional = Motif (facultatif)
delivery-addresses = Adresses de livraison
buyers-heading = Acheteurs
review-heading = Décision
approve-button = Approuver l'adhésion
reject-button = Refuser avec ce motif
manage-heading = Gestion du membre
suspend-button = Suspendre l'institution
reactivate-button = Réactiver l'institution
add-user-heading = Ajouter un acheteur
add-user-button = Ajouter et envoyer le lien d'activation
history-heading = Historique
history-when = Quand
history-who = Qui
history-what = Quoi
history-empty = Aucune décision enregistrée.
audit-membership-approved = Adhésion approuvée
audit-membership-rejected = Adhésion refusée
audit-institution-suspended = Institution suspendue
audit-institution-reactivated = Institution réactivée
audit-institution-user_added = Acheteur ajouté
approved-flash = Adhésion approuvée : les acheteurs reçoivent leur lien d'activation.
rejected-flash = Adhésion refusée : le demandeur est informé par e-mail.
suspended-flash = Institution suspendue : ses acheteurs ne peuvent plus commander.
reactivated-flash = Institution réactivée.
user-added-flash = Acheteur ajouté.
membership-not-pending = Cette demande a déjà été traitée.
institution-status = Cette action n'est pas possible dans le statut actuel de l'institution.

## Ordering
nav-cart = Panier
nav-orders = Mes commandes
add-to-cart = Ajouter au panier
cart-title = Panier
cart-empty = Votre panier est vide.
cart-intro = { $lots ->
    [one] Ce panier deviendra une commande.
   *[other] Ce panier contient des produits de { $lots } lots : il deviendra { $lots } commandes, une par lot, passées ensemble.
}
cart-update = Modifier
cart-price-note = Les prix sont ceux du fournisseur qui recevrait la commande maintenant ; le prix final est celui du fournisseur qui l'accepte. Mettez une quantité à 0 pour retirer un produit.
cart-updated-flash = Panier mis à jour.
cart-removed-flash = Produit retiré du panier.
col-quantity = Quantité
col-line-total = Total HTVA
col-order = Commande
col-placed = Passée le
col-delivery = Livraison
total-excl-vat = Total HTVA
total-incl-vat = Total TVA comprise
vat-at-rate = TVA { $rate } sur { $taxable }
field-delivery-address = Adresse de livraison
field-buyer-reference = Votre référence (bon de commande)
buyer-reference-hint = Facultatif : elle figurera sur la commande transmise au fournisseur.
checkout-button = Confirmer la commande
order-placed-flash = Commande enregistrée. Elle est transmise au premier fournisseur disponible ; vous recevrez une confirmation par e-mail dans les 24 heures.
orders-title = Mes commandes
orders-empty = Vous n'avez pas encore passé de commande.
just-placed = nouvelle
order-heading = Commande { $reference }
order-institution = Institution
order-lines = Produits commandés
order-supplier = Fournisseur
order-waiting-on = En attente de
order-waiting-detail = { $supplier } (rang { $rank } de la cascade), réponse attendue avant le { $deadline }
order-expected-delivery = Livraison prévue le
order-delivery-due = Livraison au plus tard le
order-price-changed = Le total final HTVA ({ $final }) diffère de celui affiché lors de la commande ({ $shown }) : un autre fournisseur de la cascade a accepté la commande.
order-cancel = Annuler la commande
order-request-cancel = Demander l'annulation au fournisseur
order-cancelled-flash = Commande annulée.
order-cancellation-requested-flash = Demande d'annulation envoyée au fournisseur.
rank-n = rang { $rank }
order-status-placed = Enregistrée
order-status-routed = Chez un fournisseur
order-status-confirmed = Confirmée
order-status-shipped = Expédiée
order-status-delivered = Livrée
order-status-unfulfilled = Non honorée
order-status-cancelled = Annulée
order-status-cancellation-requested = Annulation demandée
order-event-placed = Commande enregistrée
order-event-offered = Transmise au fournisseur
order-event-accepted = Acceptée par le fournisseur
order-event-declined = Refusée par le fournisseur
order-event-timed-out = Pas de réponse du fournisseur dans le délai
order-event-unfulfilled = Aucun fournisseur de la cascade ne peut livrer
order-event-breach = Délai de confirmation de 24 heures dépassé
order-event-cancelled = Commande annulée
order-event-cancellation-requested = Annulation demandée au fournisseur
delivery-address-unknown = Choisissez une de vos adresses de livraison.
buyer-reference-invalid = La référence compte au plus 100 caractères, sur une ligne.
order-empty = La commande ne contient aucun produit.
order-too-many-lines = Une commande compte au plus 200 lignes.
product-unknown = Ce produit n'est plus au catalogue.
lot-not-orderable = Le marché de ce produit n'accepte pas de commandes pour le moment.
product-repeated = Ce produit figure deux fois.
quantity-not-a-number = Indiquez une quantité en nombre entier.
institution-not-active = L'adhésion de votre institution n'est pas active.
order-not-cancellable = Cette commande ne peut plus être annulée.
order-changed = La commande a changé entre-temps ; consultez-la à nouveau.
error-conflict-title = Action impossible
product-unavailable = Ce produit est actuellement indisponible chez tous les fournisseurs du marché.

## API reference
api-docs-title = Référence de l'API
api-docs-intro = L'API de la centrale d'achat : catalogue, adhésions, commandes des institutions, API des fournisseurs et administration. Les erreurs sont des documents « problem » (RFC 9457).
api-docs-version = Version
api-docs-download = Document OpenAPI (JSON)
api-docs-contents = Opérations
api-docs-security = Authentification :
api-docs-public = aucune (public)
api-docs-bearer = jeton d'accès (Authorization: Bearer)
api-docs-parameters = Paramètres
api-docs-name = Nom
api-docs-location = Emplacement
api-docs-type = Type
api-docs-required = Obligatoire
api-docs-description = Description
api-docs-yes = oui
api-docs-no = non
api-docs-request-body = Corps de la requête
api-docs-responses = Réponses
api-docs-status = Statut
api-docs-body = Corps
