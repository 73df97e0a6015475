// The one schema both backends share. Only types with the same meaning on SQLite and
// PostgreSQL appear here: BigInt ids and cents, Integer, Text, Bool, Date, Timestamp (UTC).

diesel::table! {
    competent_authorities (id) {
        id -> BigInt,
        code -> Text,
        name_fr -> Text,
        name_nl -> Text,
        position -> Integer,
        active -> Bool,
    }
}

diesel::table! {
    sectors (code) {
        code -> Text,
        name_fr -> Text,
        name_nl -> Text,
        position -> Integer,
    }
}

diesel::table! {
    institutions (id) {
        id -> BigInt,
        enterprise_number -> Text,
        name -> Text,
        competent_authority_id -> BigInt,
        sector -> Text,
        language -> Text,
        billing_street -> Text,
        billing_postcode -> Text,
        billing_city -> Text,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        contact_name -> Text,
        contact_email -> Text,
        decided_at -> Nullable<Timestamp>,
        decided_by -> Nullable<BigInt>,
        decision_reason -> Nullable<Text>,
    }
}

diesel::table! {
    delivery_addresses (id) {
        id -> BigInt,
        institution_id -> BigInt,
        label -> Text,
        street -> Text,
        postcode -> Text,
        city -> Text,
        active -> Bool,
    }
}

diesel::table! {
    suppliers (id) {
        id -> BigInt,
        enterprise_number -> Text,
        name -> Text,
        email -> Text,
        language -> Text,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        webhook_url -> Nullable<Text>,
        webhook_secret -> Nullable<Text>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        supplier_id -> BigInt,
        event_type -> Text,
        order_id -> Nullable<BigInt>,
        payload -> Text,
        created_at -> Timestamp,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        delivered_at -> Nullable<Timestamp>,
        failed_at -> Nullable<Timestamp>,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        name -> Text,
        role -> Text,
        institution_id -> Nullable<BigInt>,
        supplier_id -> Nullable<BigInt>,
        language -> Text,
        password_hash -> Nullable<Text>,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    categories (id) {
        id -> BigInt,
        code -> Text,
        name_fr -> Text,
        name_nl -> Text,
        position -> Integer,
    }
}

diesel::table! {
    vat_classes (code) {
        code -> Text,
        name_fr -> Text,
        name_nl -> Text,
    }
}

diesel::table! {
    vat_rates (id) {
        id -> BigInt,
        vat_class -> Text,
        rate_basis_points -> Integer,
        valid_from -> Date,
        valid_until -> Nullable<Date>,
    }
}

diesel::table! {
    lots (id) {
        id -> BigInt,
        reference -> Text,
        category_id -> BigInt,
        kind -> Text,
        title_fr -> Text,
        title_nl -> Text,
        description_fr -> Text,
        description_nl -> Text,
        valid_from -> Date,
        valid_until -> Date,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    cascade_entries (id) {
        id -> BigInt,
        lot_id -> BigInt,
        supplier_id -> BigInt,
        rank -> Integer,
        active -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    products (id) {
        id -> BigInt,
        lot_id -> BigInt,
        sku -> Text,
        name_fr -> Text,
        name_nl -> Text,
        description_fr -> Text,
        description_nl -> Text,
        packaging_fr -> Text,
        packaging_nl -> Text,
        unit_code -> Text,
        standards -> Text,
        vat_class -> Text,
        min_quantity -> Integer,
        order_multiple -> Integer,
        active -> Bool,
        search_text -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    supplier_offers (id) {
        id -> BigInt,
        product_id -> BigInt,
        supplier_id -> BigInt,
        price_cents -> BigInt,
        available -> Bool,
        unavailable_until -> Nullable<Date>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    account_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        purpose -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    outbox_emails (id) {
        id -> BigInt,
        message_id -> Text,
        template -> Text,
        language -> Text,
        to_address -> Text,
        to_name -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        created_at -> Timestamp,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        sent_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    api_clients (id) {
        id -> BigInt,
        client_id -> Text,
        secret_hash -> Text,
        name -> Text,
        role -> Text,
        institution_id -> Nullable<BigInt>,
        supplier_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        created_by -> Nullable<BigInt>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        occurred_at -> Timestamp,
        actor_user_id -> Nullable<BigInt>,
        actor_client_id -> Nullable<BigInt>,
        actor_label -> Text,
        action -> Text,
        subject_type -> Text,
        subject_id -> Nullable<BigInt>,
        details -> Text,
    }
}

diesel::joinable!(account_tokens -> users (user_id));
diesel::joinable!(institutions -> competent_authorities (competent_authority_id));
diesel::joinable!(delivery_addresses -> institutions (institution_id));
diesel::joinable!(lots -> categories (category_id));
diesel::joinable!(cascade_entries -> lots (lot_id));
diesel::joinable!(cascade_entries -> suppliers (supplier_id));
diesel::joinable!(products -> lots (lot_id));
diesel::joinable!(supplier_offers -> products (product_id));
diesel::joinable!(supplier_offers -> suppliers (supplier_id));

diesel::allow_tables_to_appear_in_same_query!(
    competent_authorities,
    sectors,
    institutions,
    delivery_addresses,
    suppliers,
    users,
    categories,
    vat_classes,
    vat_rates,
    lots,
    cascade_entries,
    products,
    supplier_offers,
    account_tokens,
    outbox_emails,
    api_clients,
    audit_events,
    cart_lines,
    orders,
    order_lines,
    order_assignments,
    order_events,
    idempotency_keys,
    feed_sequence,
    webhook_deliveries,
    catalogue_imports,
    report_changes,
    report_state,
    report_order_facts,
    report_sales,
    report_product_sales,
    report_offers,
    report_service,
    report_confirmation_minutes,
);

diesel::table! {
    cart_lines (id) {
        id -> BigInt,
        user_id -> BigInt,
        product_id -> BigInt,
        quantity -> Integer,
        added_at -> Timestamp,
    }
}

diesel::table! {
    orders (id) {
        id -> BigInt,
        reference -> Text,
        checkout_id -> Text,
        institution_id -> BigInt,
        lot_id -> BigInt,
        placed_by_user_id -> Nullable<BigInt>,
        placed_by_client_id -> Nullable<BigInt>,
        delivery_address_id -> BigInt,
        buyer_reference -> Nullable<Text>,
        language -> Text,
        status -> Text,
        current_supplier_id -> Nullable<BigInt>,
        current_rank -> Nullable<Integer>,
        response_deadline -> Nullable<Timestamp>,
        confirmed_supplier_id -> Nullable<BigInt>,
        confirmed_rank -> Nullable<Integer>,
        confirmed_at -> Nullable<Timestamp>,
        expected_delivery -> Nullable<Date>,
        delivery_due -> Date,
        displayed_net_cents -> BigInt,
        placed_at -> Timestamp,
        updated_at -> Timestamp,
        notified_at -> Nullable<Timestamp>,
        breach_at -> Nullable<Timestamp>,
        shipped_at -> Nullable<Timestamp>,
        delivered_at -> Nullable<Timestamp>,
        carrier -> Nullable<Text>,
        tracking -> Nullable<Text>,
        parent_order_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    order_lines (id) {
        id -> BigInt,
        order_id -> BigInt,
        product_id -> BigInt,
        sku -> Text,
        name_fr -> Text,
        name_nl -> Text,
        unit_code -> Text,
        quantity -> Integer,
        vat_rate_basis_points -> Integer,
        unit_price_cents -> BigInt,
        displayed_unit_price_cents -> BigInt,
    }
}

diesel::table! {
    order_assignments (id) {
        id -> BigInt,
        order_id -> BigInt,
        supplier_id -> BigInt,
        rank -> Integer,
        offered_at -> Timestamp,
        deadline -> Timestamp,
        outcome -> Nullable<Text>,
        answered_at -> Nullable<Timestamp>,
        reason -> Nullable<Text>,
        feed_seq -> BigInt,
        supplier_reference -> Nullable<Text>,
    }
}

diesel::table! {
    feed_sequence (id) {
        id -> Integer,
        value -> BigInt,
    }
}

diesel::table! {
    order_events (id) {
        id -> BigInt,
        order_id -> BigInt,
        occurred_at -> Timestamp,
        kind -> Text,
        from_status -> Nullable<Text>,
        to_status -> Text,
        supplier_id -> Nullable<BigInt>,
        rank -> Nullable<Integer>,
        actor_label -> Text,
        reason -> Nullable<Text>,
        details -> Text,
    }
}

diesel::table! {
    idempotency_keys (id) {
        id -> BigInt,
        principal -> Text,
        idempotency_key -> Text,
        request_hash -> Text,
        response_status -> Integer,
        response_body -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(order_lines -> orders (order_id));
diesel::joinable!(order_assignments -> orders (order_id));
diesel::joinable!(order_events -> orders (order_id));
diesel::joinable!(cart_lines -> products (product_id));

diesel::table! {
    catalogue_revision (id) {
        id -> Integer,
        revision -> BigInt,
    }
}

diesel::table! {
    catalogue_imports (id) {
        id -> BigInt,
        created_by_user_id -> Nullable<BigInt>,
        created_by_client_id -> Nullable<BigInt>,
        created_by_label -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        filename -> Text,
        file_sha256 -> Text,
        plan -> Text,
        fingerprint -> Text,
        status -> Text,
        applied_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    report_changes (id) {
        id -> BigInt,
        order_id -> BigInt,
    }
}

diesel::table! {
    report_state (id) {
        id -> Integer,
        orders_refreshed -> BigInt,
    }
}

diesel::table! {
    report_order_facts (order_id) {
        order_id -> BigInt,
        month -> Integer,
        authority_id -> BigInt,
        placed_at -> Timestamp,
        lot_id -> BigInt,
        supplier_id -> Nullable<BigInt>,
        in_sales -> Bool,
        counted -> Bool,
        confirm_minutes -> Nullable<BigInt>,
        confirm_whole -> Bool,
        flagged -> Bool,
        delivered -> Bool,
        on_time -> Bool,
        open_due -> Nullable<Date>,
        watch -> Bool,
        offers -> Text,
    }
}

diesel::table! {
    report_sales (authority_id, month, lot_id, supplier_id, vat_rate_bp) {
        authority_id -> BigInt,
        month -> Integer,
        lot_id -> BigInt,
        supplier_id -> BigInt,
        vat_rate_bp -> Integer,
        orders -> BigInt,
        quantity -> BigInt,
        net_cents -> BigInt,
        vat_cents -> BigInt,
    }
}

diesel::table! {
    report_product_sales (authority_id, product_id, vat_rate_bp, month) {
        authority_id -> BigInt,
        product_id -> BigInt,
        vat_rate_bp -> Integer,
        month -> Integer,
        quantity -> BigInt,
        net_cents -> BigInt,
    }
}

diesel::table! {
    report_offers (authority_id, month, supplier_id, rank, outcome) {
        authority_id -> BigInt,
        month -> Integer,
        supplier_id -> BigInt,
        rank -> Integer,
        outcome -> Text,
        offers -> BigInt,
    }
}

diesel::table! {
    report_service (authority_id, month) {
        authority_id -> BigInt,
        month -> Integer,
        counted -> BigInt,
        confirmed -> BigInt,
        delivered -> BigInt,
        on_time -> BigInt,
    }
}

diesel::table! {
    report_confirmation_minutes (authority_id, minutes, month) {
        authority_id -> BigInt,
        minutes -> BigInt,
        month -> Integer,
        orders -> BigInt,
        whole_minutes -> BigInt,
    }
}
