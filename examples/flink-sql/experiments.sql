-- What does not work, or not as one might hope: ./run.sh experiments.sql
-- Each statement marked "expect: error" must fail; RunSql exits 1 when one does not (or another one fails).

-- 1. Flink does not derive the columns from the registry: a table declared without columns is accepted and has
--    no columns at all; its rows are empty.
CREATE TABLE no_columns WITH (
  'connector' = 'kafka',
  'topic' = 'thingspace.async-responses',
  'properties.bootstrap.servers' = '${KAFKA_BOOTSTRAP}',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = '${SCHEMA_REGISTRY_URL}'
);

SELECT * FROM no_columns LIMIT 3;

-- 2. receivedAt (Avro long timestamp-millis) as TIMESTAMP_LTZ(3): the format cannot map it.
CREATE TABLE received_ltz (
  eventId STRING NOT NULL,
  receivedAt TIMESTAMP_LTZ(3) NOT NULL
) WITH (
  'connector' = 'kafka',
  'topic' = 'thingspace.async-responses',
  'properties.bootstrap.servers' = '${KAFKA_BOOTSTRAP}',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = '${SCHEMA_REGISTRY_URL}'
);

-- expect: error
SELECT * FROM received_ltz LIMIT 3;

-- 3. The avro format's 'timestamp_mapping.legacy' switch (which maps TIMESTAMP_LTZ to timestamp-millis) is not
--    an option of avro-confluent.
CREATE TABLE received_ltz_option (
  eventId STRING NOT NULL,
  receivedAt TIMESTAMP_LTZ(3) NOT NULL
) WITH (
  'connector' = 'kafka',
  'topic' = 'thingspace.async-responses',
  'properties.bootstrap.servers' = '${KAFKA_BOOTSTRAP}',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = '${SCHEMA_REGISTRY_URL}',
  'value.avro-confluent.timestamp_mapping.legacy' = 'false'
);

-- expect: error
SELECT * FROM received_ltz_option LIMIT 3;

-- 4. receivedAt as BIGINT (epoch milliseconds) reads, and converts to TIMESTAMP_LTZ(3) in a computed column.
CREATE TABLE received_millis (
  eventId STRING NOT NULL,
  receivedAt BIGINT NOT NULL,
  receivedAtLtz AS TO_TIMESTAMP_LTZ(receivedAt, 3)
) WITH (
  'connector' = 'kafka',
  'topic' = 'thingspace.async-responses',
  'properties.bootstrap.servers' = '${KAFKA_BOOTSTRAP}',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = '${SCHEMA_REGISTRY_URL}'
);

SELECT * FROM received_millis LIMIT 3;

-- 5. The payload as the type Flink itself gives an Avro union of several records (RAW('java.lang.Object', ...),
--    Kryo): the format cannot derive a reader schema from it.
CREATE TABLE payload_raw (
  eventId STRING NOT NULL,
  payload RAW('java.lang.Object', 'AEdvcmcuYXBhY2hlLmZsaW5rLmFwaS5qYXZhLnR5cGV1dGlscy5ydW50aW1lLmtyeW8uS3J5b1NlcmlhbGl6ZXJTbmFwc2hvdAAAAAIAEGphdmEubGFuZy5PYmplY3QAAATyxpo9cAAAAAIAEGphdmEubGFuZy5PYmplY3QBAAAAEgAQamF2YS5sYW5nLk9iamVjdAEAAAAWABBqYXZhLmxhbmcuT2JqZWN0AAAAAABGb3JnLmFwYWNoZS5mbGluay5hdnJvLnNoYWRlZC5vcmcuYXBhY2hlLmF2cm8uZ2VuZXJpYy5HZW5lcmljRGF0YSRBcnJheQEAAABIAEZvcmcuYXBhY2hlLmZsaW5rLmF2cm8uc2hhZGVkLm9yZy5hcGFjaGUuYXZyby5nZW5lcmljLkdlbmVyaWNEYXRhJEFycmF5AQAAATQARm9yZy5hcGFjaGUuZmxpbmsuYXZyby5zaGFkZWQub3JnLmFwYWNoZS5hdnJvLmdlbmVyaWMuR2VuZXJpY0RhdGEkQXJyYXkAAAACrO0ABXNyADJvcmcuYXBhY2hlLmZsaW5rLmFwaS5jb21tb24uU2VyaWFsaXphYmxlU2VyaWFsaXplckEOvk2iII+1AgABTAAKc2VyaWFsaXplcnQAJkxjb20vZXNvdGVyaWNzb2Z0d2FyZS9rcnlvL1NlcmlhbGl6ZXI7eHBzcgBab3JnLmFwYWNoZS5mbGluay5mb3JtYXRzLmF2cm8udXRpbHMuQXZyb0tyeW9TZXJpYWxpemVyVXRpbHMkQXZyb0dlbmVyaWNEYXRhQXJyYXlTZXJpYWxpemVyAAAAAAAAAAECAAB4cAAABPLGmj1wAAAAAAAABPLGmj1wAAAAAA==')
) WITH (
  'connector' = 'kafka',
  'topic' = 'thingspace.async-responses',
  'properties.bootstrap.servers' = '${KAFKA_BOOTSTRAP}',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = '${SCHEMA_REGISTRY_URL}'
);

-- expect: error
SELECT eventId FROM payload_raw LIMIT 3;

-- 6. The payload as one branch's row with a field NOT NULL: the records of the other branches do not resolve.
CREATE TABLE payload_not_null (
  eventId STRING NOT NULL,
  payloadType STRING,
  payload ROW<restored STRING NOT NULL>
) WITH (
  'connector' = 'kafka',
  'topic' = 'thingspace.async-responses',
  'properties.bootstrap.servers' = '${KAFKA_BOOTSTRAP}',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = '${SCHEMA_REGISTRY_URL}'
);

-- expect: error
SELECT * FROM payload_not_null;

-- 7. The same row with the field nullable: every branch resolves, only RestoreResult fills it.
CREATE TABLE payload_one_branch (
  eventId STRING NOT NULL,
  payloadType STRING,
  payload ROW<restored STRING>
) WITH (
  'connector' = 'kafka',
  'topic' = 'thingspace.async-responses',
  'properties.bootstrap.servers' = '${KAFKA_BOOTSTRAP}',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = '${SCHEMA_REGISTRY_URL}'
);

SELECT payloadType, payload.restored, COUNT(*) AS events FROM payload_one_branch GROUP BY payloadType, payload.restored;

-- 8. A declared type that the writer's cannot be resolved to (eventId is a string): the read fails.
CREATE TABLE wrong_type (
  eventId INT NOT NULL
) WITH (
  'connector' = 'kafka',
  'topic' = 'thingspace.async-responses',
  'properties.bootstrap.servers' = '${KAFKA_BOOTSTRAP}',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = '${SCHEMA_REGISTRY_URL}'
);

-- expect: error
SELECT * FROM wrong_type LIMIT 3;

-- 9. A declared field the writer does not have, NOT NULL: no default, the read fails. Nullable: NULL.
CREATE TABLE missing_field (
  eventId STRING NOT NULL,
  notInTheSchema STRING NOT NULL
) WITH (
  'connector' = 'kafka',
  'topic' = 'thingspace.async-responses',
  'properties.bootstrap.servers' = '${KAFKA_BOOTSTRAP}',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = '${SCHEMA_REGISTRY_URL}'
);

-- expect: error
SELECT * FROM missing_field LIMIT 3;

CREATE TABLE missing_nullable_field (
  eventId STRING NOT NULL,
  notInTheSchema STRING
) WITH (
  'connector' = 'kafka',
  'topic' = 'thingspace.async-responses',
  'properties.bootstrap.servers' = '${KAFKA_BOOTSTRAP}',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = '${SCHEMA_REGISTRY_URL}'
);

SELECT * FROM missing_nullable_field LIMIT 3;

-- 10. Plain 'avro' (no registry) over the topic: the 5-byte Confluent prefix is read as Avro data.
CREATE TABLE plain_avro (
  eventId STRING NOT NULL,
  service STRING NOT NULL
) WITH (
  'connector' = 'kafka',
  'topic' = 'thingspace.async-responses',
  'properties.bootstrap.servers' = '${KAFKA_BOOTSTRAP}',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'value.format' = 'avro'
);

-- expect: error
SELECT * FROM plain_avro LIMIT 3;
