-- Streaming queries over tables.sql: ./run.sh --streaming tables.sql streaming.sql
-- The sources are still bounded ('scan.bounded.mode' = 'latest-offset'): at their end the watermark jumps to
-- the maximum, so every window closes and the query ends. Without the bound they would run on.

-- Event time = the Kafka record timestamp (= receivedAt), watermark 5 s behind it (tables.sql): events per
-- service and 10-second window.
SELECT window_start, window_end, service, COUNT(*) AS events
FROM TABLE(TUMBLE(TABLE async_responses, DESCRIPTOR(recordTime), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, service;

-- Event time = the value's receivedAt (TIMESTAMP(3), UTC) instead: same columns, another watermark.
CREATE TABLE async_by_received_at (
  WATERMARK FOR receivedAt AS receivedAt - INTERVAL '5' SECOND
) LIKE async_responses (EXCLUDING WATERMARKS);

SELECT window_start, window_end, COUNT(*) AS events
FROM TABLE(TUMBLE(TABLE async_by_received_at, DESCRIPTOR(receivedAt), INTERVAL '10' SECOND))
GROUP BY window_start, window_end;

-- What the three consumer examples print, in SQL: events without duplicates (the first record of each eventId),
-- then the last state of each (device, category). In streaming mode the result is a changelog: -U/+U rows are a
-- state replaced by a later one.
CREATE VIEW events AS
SELECT recordKey, eventId, category, service, payloadType, status, recordTime FROM async_responses
UNION ALL SELECT recordKey, eventId, category, service, payloadType, status, recordTime FROM external_changes
UNION ALL SELECT recordKey, eventId, category, service, payloadType, status, recordTime FROM device_originated;

SELECT recordKey, category, service, COALESCE(payloadType, '-') AS payloadType, COALESCE(status, '-') AS status
FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY recordKey, category ORDER BY recordTime DESC) AS latest
  FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY eventId ORDER BY recordTime ASC) AS copy
    FROM events
  )
  WHERE copy = 1
)
WHERE latest = 1;
