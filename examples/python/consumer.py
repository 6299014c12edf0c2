"""Reads the bridge's topics with confluent-kafka, decodes each record with the schema registry's
AvroDeserializer, drops duplicate events by eventId and prints each device's state changes per category.
The same behaviour, output and exit codes as examples/typescript/consumer.ts; see README.md beside this file.

    KAFKA_BOOTSTRAP=... SCHEMA_REGISTRY_URL=... STOP_AT_END=1 bash examples/python/run.sh
"""

import os
import signal
import sys

from confluent_kafka import Consumer, KafkaException, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext, SerializationError

BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP") or "localhost:9092"
# Used as given: our stack's Apicurio registry answers the Confluent API under /apis/ccompat/v7.
REGISTRY_URL = os.environ.get("SCHEMA_REGISTRY_URL") or "http://localhost:8081"
TOPICS = [
    topic.strip()
    for topic in (
        os.environ.get("TOPICS")
        or "thingspace.async-responses,thingspace.external-changes,thingspace.device-originated"
    ).split(",")
    if topic.strip()
]
GROUP_ID = os.environ.get("GROUP_ID") or "thingspace-example-python"
STOP_AT_END = os.environ.get("STOP_AT_END") == "1"
TIMEOUT_S = 15


def log(text):
    """Logs go to stderr: stdout carries only the state lines and the summary."""
    print(text, file=sys.stderr, flush=True)


class States:
    """What was read, and the last state per (device, category)."""

    def __init__(self):
        self.seen = set()
        self.states = {}
        self.records = 0
        self.duplicates = 0
        self.changes = 0

    def handle(self, key, value):
        """Counts a decoded record; prints the device's new state in its category when it changed."""
        self.records += 1
        event_id = str(value["eventId"])
        if event_id in self.seen:
            self.duplicates += 1  # the bridge delivers at least once
            return
        self.seen.add(event_id)
        if "category" not in value:
            return  # a dead letter (TOPICS may name that topic) has no device state
        # Read with its writer's schema: a record written before contract v2 has no payloadType nor status.
        state = f"{value['service']} {value.get('payloadType') or '-'} {value.get('status') or '-'}"
        device = f"{key} {value['category']}"
        if self.states.get(device) == state:
            return
        self.states[device] = state
        self.changes += 1
        print(f"{device}: {state}", flush=True)

    def summary(self):
        return (
            f"summary: records={self.records} duplicates={self.duplicates} "
            f"events={self.records - self.duplicates} changes={self.changes}"
        )


def end_offsets(consumer, metadata):
    """The end offset of every partition that has records, as the topics are now: (topic, partition) -> offset."""
    ends = {}
    for topic in TOPICS:
        for partition in metadata.topics[topic].partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=TIMEOUT_S)
            if high > low:
                ends[(topic, partition)] = high
    return ends


def main():
    stopping = []
    signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))

    deserialize = AvroDeserializer(SchemaRegistryClient({"url": REGISTRY_URL}))
    consumer = Consumer(
        {
            "bootstrap.servers": BOOTSTRAP,
            "group.id": GROUP_ID,
            "auto.offset.reset": "earliest",
            # A run to the end commits nothing, so it can be repeated with the same GROUP_ID.
            "enable.auto.commit": not STOP_AT_END,
            "error_cb": lambda err: log(f"kafka: {err}"),
        }
    )
    states = States()
    try:
        metadata = consumer.list_topics(timeout=TIMEOUT_S)  # Kafka unreachable fails here
        missing = [t for t in TOPICS if t not in metadata.topics or metadata.topics[t].error is not None]
        if missing:
            raise KafkaException(f"no such topic: {', '.join(missing)}")
        ends = end_offsets(consumer, metadata) if STOP_AT_END else None
        until = f"up to the end offsets of {len(ends)} partitions" if ends is not None else "until Ctrl-C"
        log(f"reading {', '.join(TOPICS)} from {BOOTSTRAP} as {GROUP_ID}, {until}")
        consumer.subscribe(TOPICS)
        while not stopping and (ends is None or ends):
            message = consumer.poll(1.0)
            if message is None:
                continue
            if message.error() is not None:
                raise KafkaException(message.error())
            where = (message.topic(), message.partition())
            offset = message.offset()
            if ends is not None and offset >= ends.get(where, 0):
                continue  # after the end we read to
            try:
                context = SerializationContext(message.topic(), MessageField.VALUE, message.headers())
                value = deserialize(message.value(), context)
            except SerializationError as err:
                log(f"consumer: undecodable record {where[0]}:{where[1]}@{offset}: {err}")
                return 1
            except Exception as err:  # noqa: BLE001: the registry client's errors (HTTP, connection) stop it too
                log(
                    f"consumer: undecodable record {where[0]}:{where[1]}@{offset}: the schema registry failed: "
                    f"{type(err).__name__}: {err}"
                )
                return 1
            if value is None:
                log(f"consumer: undecodable record {where[0]}:{where[1]}@{offset}: no value (a tombstone)")
                return 1
            key = message.key().decode("utf-8") if message.key() is not None else "-"
            states.handle(key, value)
            if ends is not None and offset + 1 >= ends[where]:
                del ends[where]
    except KafkaException as err:
        log(f"consumer: {err}")
        return 1
    finally:
        consumer.close()
    print(states.summary(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
