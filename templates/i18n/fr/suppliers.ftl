## suppliers
admin-suppliers-title = Fournisseurs
suppliers-count = { $count ->
    [0] Aucun fournisseur
    [one] 1 fournisseur
   *[other] { $count } fournisseurs
}
supplier-field-name = Nom du fournisseur
supplier-field-email = Adresse e-mail des commandes
supplier-language-fr = Français
supplier-language-nl = Néerlandais
supplier-status-active = Actif
supplier-status-suspended = Suspendu
supplier-places = Lots et rangs
supplier-places-none = Ce fournisseur ne figure dans aucune cascade.
supplier-lot = Lot
supplier-rank = rang
supplier-place-active = Place active
supplier-yes = Oui
supplier-no = Non
supplier-clients-count = Clients API actifs
supplier-webhook = Webhook
supplier-webhook-set = Configuré
supplier-webhook-none = Aucun
supplier-created-on = Créé le
supplier-new-heading = Nouveau fournisseur
supplier-create-button = Créer le fournisseur
supplier-edit-heading = Modifier le fournisseur
supplier-save-button = Enregistrer
supplier-status-heading = Statut du fournisseur
supplier-suspend-explanation = Un fournisseur suspendu ne reçoit plus de nouvelles commandes et ses clients API sont refusés immédiatement.
supplier-suspend-button = Suspendre le fournisseur
supplier-reactivate-button = Réactiver le fournisseur
supplier-created-flash = Fournisseur créé.
supplier-updated-flash = Fournisseur modifié.
supplier-suspended-flash = Fournisseur suspendu : il ne reçoit plus de commandes et ses clients API sont refusés.
supplier-reactivated-flash = Fournisseur réactivé.
supplier-enterprise-number-taken = Un fournisseur est déjà enregistré avec ce numéro d'entreprise.
supplier-status-conflict = Le statut du fournisseur a changé entre-temps ; rechargez la page.
supplier-clients-heading = Clients API
supplier-clients-none = Aucun client API.
client-id = Identifiant client
client-name = Nom du client
client-name-hint = Par exemple « ERP commandes ».
client-created = Créé le
client-revoked = Révoqué le
client-actions = Actions
client-revoke-link = Révoquer
client-issue-button = Émettre un client API
client-issued-title = Client API émis
client-secret = Secret
client-secret-once = Copiez ce secret maintenant : il ne sera plus jamais affiché. Seule son empreinte est conservée.
client-back-to-supplier = Retour au fournisseur
client-revoke-title = Révoquer le client API
client-revoke-explanation = Le client ne pourra plus obtenir de jeton et ses jetons actuels seront refusés immédiatement.
client-revoke-confirm = Révoquer définitivement
client-revoke-cancel = Annuler
client-already-revoked = Ce client est déjà révoqué depuis le
client-revoked-flash = Client API révoqué.
admin-audit-title = Journal d'audit
audit-filter-actor = Auteur (contient)
audit-filter-action = Action
audit-filter-subject-type = Type d'objet
audit-filter-from = Du (date de Bruxelles)
audit-filter-until = Au (inclus)
audit-all = Toutes
audit-date-invalid = Indiquez une date au format AAAA-MM-JJ.
audit-count = { $count ->
    [0] Aucun événement
    [one] 1 événement
   *[other] { $count } événements
}
audit-caption = Événements, page { $page } sur { $pages }
audit-download-csv = Télécharger en CSV
audit-download-xlsx = Télécharger en XLSX
audit-column-when = Date (UTC)
audit-column-when-local = Date (heure de Bruxelles)
audit-column-actor = Auteur
audit-column-action = Action
audit-column-subject = Objet
audit-column-subject-type = Type d'objet
audit-column-subject-id = Identifiant de l'objet
audit-column-details = Détails
audit-pagination = Pages du journal
audit-previous = Page précédente
audit-next = Page suivante
audit-supplier-created = Fournisseur créé
audit-supplier-updated = Fournisseur modifié
audit-supplier-suspended = Fournisseur suspendu
audit-supplier-reactivated = Fournisseur réactivé
audit-supplier-availability_changed = Disponibilités modifiées
audit-supplier-webhook_registered = Webhook configuré
audit-supplier-webhook_removed = Webhook supprimé
audit-api_client-issued = Client API émis
audit-api_client-revoked = Client API révoqué
