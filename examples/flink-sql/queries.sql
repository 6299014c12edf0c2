-- Batch queries over tables.sql: ./run.sh tables.sql queries.sql

-- The envelope, for the REST callbacks whose payload is a RestoreResult.
SELECT recordKey, eventId, service, category, accountName, devices, receivedAt, status, `format`, payloadType
FROM async_responses
WHERE payloadType = 'RestoreResult';

-- The Kafka side of each record: the key, timestamp (= receivedAt), partition, offset and the headers.
SELECT recordKey, recordTime, receivedAt, `partition`, `offset`,
  headers['event-id'] AS h_event_id,
  headers['service'] AS h_service,
  headers['category'] AS h_category,
  headers['payload-type'] AS h_payload_type,
  headers['format'] AS h_format
FROM external_changes;

-- Routing on a header alone: Flink still decodes every value (the table has value columns), but the filter
-- needs no field of it.
SELECT recordKey, headers['payload-type'] AS payload_type
FROM device_originated
WHERE headers['service'] = 'NiddService';

-- Events per category, service, payload type and format, over the three topics.
SELECT category, service, payloadType, `format`, COUNT(*) AS events
FROM (
  SELECT category, service, payloadType, `format` FROM async_responses
  UNION ALL SELECT category, service, payloadType, `format` FROM external_changes
  UNION ALL SELECT category, service, payloadType, `format` FROM device_originated
)
GROUP BY category, service, payloadType, `format`
ORDER BY category, service, payloadType, `format`;

-- One row per device identifier (the devices array unnested).
SELECT d.kind, d.identifier, e.service, e.payloadType
FROM device_originated AS e CROSS JOIN UNNEST(e.devices) AS d (kind, identifier)
ORDER BY d.kind, d.identifier;

-- Payload fields, picked per branch: the suspension figures of SuspendResult, the usage rows of UsageResult.
SELECT eventId, payload.maxSuspendDaysAllowed, payload.expectedResumeDate, payload.numDaysSuspendedLast12Months
FROM async_payloads
WHERE payloadType = 'SuspendResult';

SELECT p.eventId, u.bytesUsed, u.smsUsed, u.`timestamp`, u.servicePlan
FROM async_payloads AS p CROSS JOIN UNNEST(p.payload.usages) AS u (devices, bytesUsed, smsUsed, `source`, `timestamp`, servicePlan)
WHERE payloadType = 'UsageResult';

-- GenericElement payloads (elements the bridge has no record type for): their name and flattened fields.
SELECT service, payload.`element`, payload.`fields`
FROM async_payloads
WHERE payloadType = 'GenericElement' AND payload.`format` = 'rest';

-- The 'raw' value: its first 5 bytes are the magic byte 0 and the schema id (4 bytes, big endian). With the
-- headers, a table in 'raw' format routes records without the registry and without decoding a value.
SELECT recordKey, CAST(`value` AS BINARY(5)) AS wirePrefix, headers['payload-type'] AS payload_type
FROM async_raw
WHERE headers['service'] = 'NiddService';
