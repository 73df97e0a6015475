## suppliers
