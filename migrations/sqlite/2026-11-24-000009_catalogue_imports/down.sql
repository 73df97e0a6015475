DROP TABLE catalogue_imports;
