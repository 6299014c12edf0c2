-- Flink SQL tables over the bridge's three category topics (see README.md for what each choice means).
-- ${KAFKA_BOOTSTRAP} and ${SCHEMA_REGISTRY_URL} are replaced by RunSql from the environment.
--
-- Flink does not read the columns from the registry: they are declared here, and Flink derives the Avro
-- *reader* schema from them; the registry gives the *writer* schema of each record (by the id in its first
-- bytes), and Avro's schema resolution maps writer fields to reader fields by name. So a table can leave out any
-- field it does not need, the payload union included.

-- The envelope of thingspace.async-responses, without the payload, plus the Kafka record's key, timestamp
-- (= receivedAt), headers, partition and offset.
CREATE TABLE async_responses (
  recordKey STRING,
  eventId STRING NOT NULL,
  service STRING NOT NULL,
  category STRING NOT NULL,
  accountName STRING NOT NULL,
  requestId STRING,
  devices ARRAY<ROW<kind STRING NOT NULL, identifier STRING NOT NULL> NOT NULL> NOT NULL,
  -- Avro timestamp-millis: TIMESTAMP(3) (UTC wall clock); TIMESTAMP_LTZ(3) is refused by this format.
  receivedAt TIMESTAMP(3) NOT NULL,
  status STRING,
  `format` STRING NOT NULL,
  payloadType STRING,
  recordTime TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL,
  -- the connector gives MAP<STRING, BYTES>; declared with STRING values, Flink casts them (UTF-8)
  headers MAP<STRING, STRING> METADATA VIRTUAL,
  `partition` INT METADATA VIRTUAL,
  `offset` BIGINT METADATA VIRTUAL,
  WATERMARK FOR recordTime AS recordTime - INTERVAL '5' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = 'thingspace.async-responses',
  'properties.bootstrap.servers' = '${KAFKA_BOOTSTRAP}',
  'scan.startup.mode' = 'earliest-offset',
  -- read up to the end offsets at start, then stop (a bounded source: the query ends)
  'scan.bounded.mode' = 'latest-offset',
  'key.format' = 'raw',
  'key.fields' = 'recordKey',
  'value.format' = 'avro-confluent',
  'value.avro-confluent.url' = '${SCHEMA_REGISTRY_URL}',
  'value.fields-include' = 'EXCEPT_KEY'
);

-- The same envelope over the two other topics: LIKE copies the columns and the options, the topic is replaced.
CREATE TABLE external_changes WITH ('topic' = 'thingspace.external-changes') LIKE async_responses;

CREATE TABLE device_originated WITH ('topic' = 'thingspace.device-originated') LIKE async_responses;

-- The payload union of thingspace.async-responses as ONE row type holding the fields of all its branches, every
-- one nullable: each record's branch fills the fields it has (matched by name), the others are NULL; payloadType
-- says which branch it was. A field declared NOT NULL here would make the branches without it unreadable.
CREATE TABLE async_payloads (
  payload ROW<
    identifierChanged ROW<kind STRING NOT NULL, identifier STRING NOT NULL>,
    servicePlan STRING,
    other MAP<STRING NOT NULL, STRING NOT NULL>,
    devices ARRAY<ROW<kind STRING NOT NULL, identifier STRING NOT NULL> NOT NULL>,
    faultCode STRING,
    faultString STRING,
    `element` STRING,
    `fields` MAP<STRING NOT NULL, STRING NOT NULL>,
    xml STRING,
    `format` STRING,
    `state` STRING,
    ipAddress STRING,
    deactivated STRING,
    maxSuspendDaysAllowed INT,
    expectedResumeDate STRING,
    numDaysSuspendAllowedCurrent12Months INT,
    numDaysSuspendedLast12Months INT,
    restored STRING,
    prlVersion STRING,
    confirmation STRING,
    usages ARRAY<ROW<
      devices ARRAY<ROW<kind STRING NOT NULL, identifier STRING NOT NULL> NOT NULL> NOT NULL,
      bytesUsed BIGINT,
      smsUsed BIGINT,
      `source` STRING,
      `timestamp` STRING,
      servicePlan STRING
    > NOT NULL>,
    accountName STRING,
    acknowledgeTime STRING,
    firstAttemptDeliveryTime STRING,
    `reason` STRING
  >
) LIKE async_responses;

-- The record value as bytes ('raw' format): the Confluent wire format itself (magic byte 0, schema id, Avro);
-- no registry is needed. The headers name the event without decoding it.
CREATE TABLE async_raw (
  recordKey STRING,
  `value` BYTES,
  headers MAP<STRING, STRING> METADATA VIRTUAL
) WITH (
  'connector' = 'kafka',
  'topic' = 'thingspace.async-responses',
  'properties.bootstrap.servers' = '${KAFKA_BOOTSTRAP}',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'key.format' = 'raw',
  'key.fields' = 'recordKey',
  'value.format' = 'raw',
  'value.fields-include' = 'EXCEPT_KEY'
);
