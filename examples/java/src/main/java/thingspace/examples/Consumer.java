package thingspace.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.ClassSecurityValidator;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import thingspace.bridge.v1.AsyncResponseEvent;
import thingspace.bridge.v1.DeviceOriginatedEvent;
import thingspace.bridge.v1.ExternalChangeEvent;

/**
 * Reads the bridge's three event topics with plain kafka-clients and Avro: looks up each record's writer
 * schema in the registry by the id the record carries, decodes into the classes Avro generated from schemas/,
 * drops duplicates by eventId and prints each device's state changes (examples/java/README.md,
 * docs/consuming.md).
 */
public final class Consumer {
  private static final String DEFAULT_TOPICS =
      "thingspace.async-responses,thingspace.external-changes,thingspace.device-originated";
  /** How long the start may wait for Kafka before it fails, instead of retrying forever. */
  private static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(20);
  private static final Duration POLL = Duration.ofMillis(500);

  private final PrintStream out = System.out;
  private final Registry registry;
  private final Set<String> seen = new HashSet<>();
  /** The last state printed, by device and category. */
  private final Map<List<String>, String> states = new HashMap<>();
  private long records;
  private long duplicates;
  private long changes;

  private Consumer(Registry registry) {
    this.registry = registry;
  }

  /** What the example cannot go on with: an undecodable record, Kafka or the registry out of reach. */
  static final class Failure extends Exception {
    Failure(String message, Throwable cause) {
      super(message, cause);
    }
  }

  public static void main(String[] args) {
    // Avro 1.12 instantiates only the classes it is told to trust (CVE-2024-47561): the generated ones here.
    String generated = AsyncResponseEvent.class.getPackageName();
    ClassSecurityValidator.setGlobal(
        ClassSecurityValidator.composite(
            ClassSecurityValidator.getGlobal(), type -> type.getPackageName().equals(generated)));
    Map<String, String> env = System.getenv();
    List<String> topics =
        Arrays.stream(env.getOrDefault("TOPICS", DEFAULT_TOPICS).split(","))
            .map(String::trim)
            .filter(topic -> !topic.isEmpty())
            .toList();
    boolean stopAtEnd = "1".equals(env.get("STOP_AT_END"));
    String registryUrl = env.getOrDefault("SCHEMA_REGISTRY_URL", "http://localhost:8081");
    Consumer consumer = new Consumer(new Registry(registryUrl));
    AtomicBoolean stopping = new AtomicBoolean();
    AtomicBoolean finished = new AtomicBoolean();
    Thread main = Thread.currentThread();
    int[] exitCode = {0};
    try (KafkaConsumer<String, byte[]> kafka = kafkaConsumer(env)) {
      // Ctrl-C or SIGTERM: end the poll loop, let it print the summary, then exit with its code (0).
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    if (finished.get()) return;
                    stopping.set(true);
                    kafka.wakeup();
                    try {
                      main.join();
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                    Runtime.getRuntime().halt(exitCode[0]);
                  }));
      consumer.run(kafka, topics, stopAtEnd, stopping);
    } catch (Failure e) {
      System.err.println("error: " + e.getMessage() + (e.getCause() == null ? "" : ": " + e.getCause()));
      exitCode[0] = 1;
    } catch (RuntimeException e) {
      System.err.println("error: " + e);
      exitCode[0] = 1;
    }
    if (stopping.get()) return; // the shutdown hook exits
    finished.set(true);
    System.exit(exitCode[0]);
  }

  private static KafkaConsumer<String, byte[]> kafkaConsumer(Map<String, String> env) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, env.getOrDefault("KAFKA_BOOTSTRAP", "localhost:9092"));
    props.put(ConsumerConfig.GROUP_ID_CONFIG, env.getOrDefault("GROUP_ID", "thingspace-example-java"));
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
    props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) KAFKA_TIMEOUT.toMillis());
    return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
  }

  /** Polls until stopped, or with stopAtEnd until every partition is read up to its end offset at start. */
  private void run(
      KafkaConsumer<String, byte[]> kafka, List<String> topics, boolean stopAtEnd, AtomicBoolean stopping)
      throws Failure {
    try {
      Map<TopicPartition, Long> ends = endOffsets(kafka, topics);
      kafka.subscribe(topics);
      while (!stopping.get() && !(stopAtEnd && readUpTo(kafka, ends))) {
        for (ConsumerRecord<String, byte[]> record : kafka.poll(POLL)) handle(record);
      }
    } catch (WakeupException e) {
      // stopping: on to the summary
    }
    out.printf(
        "summary: records=%d duplicates=%d events=%d changes=%d%n",
        records, duplicates, records - duplicates, changes);
    out.flush();
  }

  /** The end offset of every partition of the topics now; fails when Kafka does not answer in time. */
  private static Map<TopicPartition, Long> endOffsets(
      KafkaConsumer<String, byte[]> kafka, List<String> topics) throws Failure {
    try {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic : topics) {
        List<PartitionInfo> infos = kafka.partitionsFor(topic);
        if (infos.isEmpty()) System.err.println("warning: topic " + topic + " does not exist");
        for (PartitionInfo info : infos) partitions.add(new TopicPartition(topic, info.partition()));
      }
      return kafka.endOffsets(partitions);
    } catch (TimeoutException e) {
      throw new Failure("Kafka did not answer within " + KAFKA_TIMEOUT.toSeconds() + " s", e);
    }
  }

  /** Whether this consumer has read every partition up to the given offsets (empty ones count as read). */
  private static boolean readUpTo(KafkaConsumer<String, byte[]> kafka, Map<TopicPartition, Long> ends) {
    Set<TopicPartition> assigned = kafka.assignment();
    for (Map.Entry<TopicPartition, Long> end : ends.entrySet()) {
      if (end.getValue() == 0) continue;
      if (!assigned.contains(end.getKey()) || kafka.position(end.getKey()) < end.getValue()) return false;
    }
    return true;
  }

  /**
   * The envelope fields the example looks at, read from whichever generated class the topic carries (the three
   * share the envelope's fields, but Avro generates no common interface for them).
   */
  record Event(String eventId, String service, String category, String payloadType, String status) {
    static Event of(SpecificRecord value) {
      if (value instanceof AsyncResponseEvent e) {
        return new Event(
            e.getEventId().toString(), e.getService(), e.getCategory(), e.getPayloadType(), e.getStatus());
      }
      if (value instanceof ExternalChangeEvent e) {
        return new Event(
            e.getEventId().toString(), e.getService(), e.getCategory(), e.getPayloadType(), e.getStatus());
      }
      if (value instanceof DeviceOriginatedEvent e) {
        return new Event(
            e.getEventId().toString(), e.getService(), e.getCategory(), e.getPayloadType(), e.getStatus());
      }
      throw new IllegalArgumentException("not an event: " + value.getSchema().getFullName());
    }
  }

  private void handle(ConsumerRecord<String, byte[]> record) throws Failure {
    Event event;
    try {
      event = Event.of(registry.decode(record.value()));
    } catch (IOException | RuntimeException e) {
      throw new Failure(
          "undecodable record " + record.topic() + "-" + record.partition() + "@" + record.offset(), e);
    }
    records++;
    if (!seen.add(event.eventId())) {
      duplicates++; // the bridge delivers at least once: a callback re-sent or a retried send
      return;
    }
    String device = record.key() == null ? "-" : record.key();
    String state = event.service() + " " + orDash(event.payloadType()) + " " + orDash(event.status());
    if (state.equals(states.put(List.of(device, event.category()), state))) return;
    changes++;
    out.println(device + " " + event.category() + ": " + state);
  }

  private static String orDash(String value) {
    return value == null ? "-" : value;
  }

  /**
   * Confluent's wire format (magic byte 0, 4-byte big-endian schema id, Avro binary) decoded into the
   * generated classes: the writer schema comes from the registry by id, once per id; Avro resolves it against
   * the schema the classes were generated from, which is what lets a consumer built on an older or newer
   * schema version read the events (schemas/README.md, "Upgrading to v2").
   */
  static final class Registry {
    /** The schemas the classes were generated from, by full name: the reader side of the resolution. */
    private static final Map<String, Schema> READERS =
        Map.of(
            AsyncResponseEvent.getClassSchema().getFullName(), AsyncResponseEvent.getClassSchema(),
            ExternalChangeEvent.getClassSchema().getFullName(), ExternalChangeEvent.getClassSchema(),
            DeviceOriginatedEvent.getClassSchema().getFullName(), DeviceOriginatedEvent.getClassSchema());
    /** A schema is a few tens of KiB; anything much larger is not a registry's answer. */
    private static final int MAX_ANSWER_BYTES = 4 << 20;

    private final String url;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final ObjectMapper json = new ObjectMapper();
    private final Map<Integer, SpecificDatumReader<SpecificRecord>> readers = new HashMap<>();

    Registry(String url) {
      this.url = url.replaceAll("/+$", "");
    }

    SpecificRecord decode(byte[] value) throws IOException, Failure {
      if (value == null || value.length < 5 || value[0] != 0) {
        throw new IOException("not in Confluent's wire format (magic byte 0, schema id, Avro binary)");
      }
      int id = ByteBuffer.wrap(value, 1, 4).getInt();
      SpecificDatumReader<SpecificRecord> reader = readers.get(id);
      if (reader == null) {
        reader = datumReader(id, writerSchema(id));
        readers.put(id, reader);
      }
      BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(value, 5, value.length - 5, null);
      SpecificRecord decoded = reader.read(null, decoder);
      if (!decoder.isEnd()) throw new IOException("bytes left after the value of schema " + id);
      return decoded;
    }

    private static SpecificDatumReader<SpecificRecord> datumReader(int id, Schema writer) throws IOException {
      Schema reader = READERS.get(writer.getFullName());
      if (reader == null) {
        throw new IOException("schema " + id + " is " + writer.getFullName() + ", not one of the events");
      }
      return new SpecificDatumReader<>(writer, reader, SpecificData.getForSchema(reader));
    }

    /** GET <url>/schemas/ids/<id>: {"schema": "<the schema as a JSON string>", ...}. */
    private Schema writerSchema(int id) throws IOException, Failure {
      String where = url + "/schemas/ids/" + id;
      HttpResponse<InputStream> response;
      try {
        HttpRequest request =
            HttpRequest.newBuilder(URI.create(where)).timeout(Duration.ofSeconds(10)).GET().build();
        response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
      } catch (IOException e) {
        throw new Failure("the schema registry at " + url + " cannot be reached", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new Failure("interrupted while asking the schema registry", e);
      }
      byte[] body;
      try (InputStream stream = response.body()) {
        body = stream.readNBytes(MAX_ANSWER_BYTES + 1);
      }
      if (body.length > MAX_ANSWER_BYTES) throw new Failure(where + " answered more than 4 MiB", null);
      if (response.statusCode() != 200) {
        String text = new String(body, 0, Math.min(body.length, 300), StandardCharsets.UTF_8);
        throw new Failure(where + " answered " + response.statusCode() + ": " + text, null);
      }
      JsonNode answer = json.readTree(body);
      JsonNode references = answer.path("references");
      if (references.size() > 0) {
        // The bridge registers self-contained schemas; one with references would need them fetched too.
        throw new IOException("schema " + id + " has schema references, which this example does not resolve");
      }
      if (!answer.path("schema").isTextual()) throw new IOException(where + " answered no schema");
      return new Schema.Parser().parse(answer.path("schema").asText());
    }
  }
}
