package org.legoos.net.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.legoos.net.Gen;
import org.legoos.net.protocol.FuzzCodecs.Decoder;

/**
 * The seed corpus of the protocol fuzz tests ({@link MessageCodecFuzzTest}, {@link FrameFuzzTest},
 * {@code FrameDecoderFuzzTest}), kept in the test resources: a valid message of every opcode's request and reply,
 * whole frames, byte streams, and edge cases. The seeds are generated from real messages ({@link MessageSamples},
 * fixed seed) by this class: run
 * <pre>
 *   ./mvnw -pl legoos-net -am verify -Dtest=FuzzSeedsTest -Dsurefire.failIfNoSpecifiedTests=false -Dlegoos.fuzz.writeSeeds=true
 * </pre>
 * after adding an opcode or changing a message's layout, and commit the files. Files named {@code crash-*} (and any
 * other name not written here) are inputs that found defects; they stay as regression tests.
 *
 * <p>The tests check that the corpus still covers every decoder with a body it accepts, so a new opcode or a changed
 * layout cannot silently leave the fuzzers without a valid starting point.
 */
class FuzzSeedsTest {
    static final Path RESOURCES = Path.of("src/test/resources");
    static final Path CODEC_SEEDS = RESOURCES.resolve("org/legoos/net/protocol/MessageCodecFuzzTestInputs/decodeBody");
    static final Path FRAME_SEEDS = RESOURCES.resolve("org/legoos/net/protocol/FrameFuzzTestInputs/helloThenFrame");
    static final Path STREAM_SEEDS = RESOURCES.resolve("org/legoos/net/transport/tcp/FrameDecoderFuzzTestInputs/byteStream");
    private static final String REGENERATE = "the fuzz corpus does not match the protocol: regenerate it with ./mvnw -pl"
            + " legoos-net -am verify -Dtest=FuzzSeedsTest -Dsurefire.failIfNoSpecifiedTests=false -Dlegoos.fuzz.writeSeeds=true";
    /** The seed of the generated messages: the same files every time they are written. */
    private static final long SEED = 0x1E605F022L;

    @BeforeAll
    static void writeSeedsIfAsked() {
        if (Boolean.getBoolean("legoos.fuzz.writeSeeds")) {
            write(CODEC_SEEDS, codecSeeds());
            write(FRAME_SEEDS, frameSeeds());
            write(STREAM_SEEDS, streamSeeds());
        }
    }

    @Test
    void everyDecoderHasASeedItAccepts() throws IOException {
        for (Decoder d : decoders()) {
            Path seed = CODEC_SEEDS.resolve(name(d));
            assertThat(seed).as("no seed of %s: %s", d, REGENERATE).isRegularFile();
            byte[] input = Files.readAllBytes(seed);
            assertThat(FuzzCodecs.select(input)).as("%s: %s", seed, REGENERATE).isEqualTo(d);
            ByteBuffer body = ByteBuffer.wrap(input, FuzzCodecs.SELECTOR_BYTES, input.length - FuzzCodecs.SELECTOR_BYTES);
            assertThat(decodes(d, body)).as("%s does not decode: %s", seed, REGENERATE).isTrue();
        }
    }

    @Test
    void everyDecoderHasAFrameSeedItAccepts() throws IOException {
        for (Decoder d : decoders()) {
            Path seed = FRAME_SEEDS.resolve(name(d));
            assertThat(seed).as("no frame seed of %s: %s", d, REGENERATE).isRegularFile();
            byte[] input = Files.readAllBytes(seed);
            // a hello of any version: FrameFuzzTest checks each hello against its own version too, so a seed written
            // before Protocol.VERSION last changed still reaches the frame (no need to regenerate for a new version)
            assertThat(Arrays.equals(input, 0, 4, FuzzCodecs.bytes(Hello.encode()), 0, 4))
                    .as("%s does not start with a hello: %s", seed, REGENERATE).isTrue();
            Frame f = Frame.decode(ByteBuffer.wrap(input, Hello.BYTES, input.length - Hello.BYTES), 1 << 20);
            assertThat(f.opcode()).as(seed::toString).isEqualTo(d.op().code());
            assertThat(f.isReply()).as(seed::toString).isEqualTo(d.reply());
            assertThat(decodes(d, f.body())).as("%s does not decode: %s", seed, REGENERATE).isTrue();
        }
    }

    @Test
    void theStreamSeedsHoldFrames() throws IOException {
        try (var files = Files.list(STREAM_SEEDS)) {
            assertThat(files.filter(p -> p.getFileName().toString().startsWith("frames-")).count()).isGreaterThanOrEqualTo(4);
        }
    }

    private static boolean decodes(Decoder d, ByteBuffer body) {
        try {
            return d.type().isInstance(FuzzCodecs.decodeWhole(d.function(), body));
        } catch (ProtocolException e) {
            return false;
        }
    }

    static List<Decoder> decoders() {
        List<Decoder> all = new ArrayList<>();
        for (Op op : FuzzCodecs.OPS) {
            all.add(new Decoder(op, false));
            if (op.replyDecoder() != null) {
                all.add(new Decoder(op, true));
            }
        }
        return all;
    }

    private static String name(Decoder d) {
        return d.op().wireName() + (d.reply() ? "-reply" : "-request");
    }

    /** One message of every decoder, each drawn from its own seed: regenerating changes the seeds of changed messages only. */
    private static Map<Decoder, Message> samples() {
        Map<Decoder, Message> m = new LinkedHashMap<>();
        for (Decoder d : decoders()) {
            Gen g = new Gen(new SplittableRandom(SEED ^ name(d).hashCode()));
            m.put(d, MessageSamples.message(g, d.type()));
        }
        return m;
    }

    /** A selector and the body of one message of every decoder. */
    static Map<String, byte[]> codecSeeds() {
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        samples().forEach((d, m) -> seeds.put(name(d), concat(FuzzCodecs.selector(d), FuzzCodecs.bytes(FuzzCodecs.encode(m)))));
        return seeds;
    }

    private static byte[] frame(Decoder d, Message m, int status, int source, long requestId) {
        int flags = d.reply() ? Frame.FLAG_REPLY : d.op().replyDecoder() == null ? Frame.FLAG_ONE_WAY : 0;
        return FuzzCodecs.bytes(Frame.encode(d.op().code(), flags, status, source, requestId, m));
    }

    /** This build's hello and one frame: of every decoder, an error reply, and refusals of every kind. */
    static Map<String, byte[]> frameSeeds() {
        byte[] hello = FuzzCodecs.bytes(Hello.encode());
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        long id = 1;
        for (Map.Entry<Decoder, Message> e : samples().entrySet()) {
            seeds.put(name(e.getKey()), concat(hello, frame(e.getKey(), e.getValue(), 0, 3, id++)));
        }
        Decoder vnodeGet = new Decoder(org.legoos.net.protocol.gm.GmOp.VNODE_GET, true);
        byte[] error = FuzzCodecs.bytes(Frame.encode(vnodeGet.op().code(), Frame.FLAG_REPLY, 5, 1, 77,
                out -> out.putString("no vNode 'web'")));
        seeds.put("edge-error-reply", concat(hello, error));
        byte[] ack = frame(new Decoder(org.legoos.net.protocol.p2m.P2mOp.MSYNC, true), Ack.INSTANCE, 0, 2, 9);
        seeds.put("edge-empty", new byte[0]);
        seeds.put("edge-hello-only", hello);
        seeds.put("edge-short-hello", new byte[] {'L', 'G', 'O'});
        seeds.put("edge-old-version", concat(FuzzCodecs.bytes(Hello.encode(Protocol.VERSION - 1)), ack));
        seeds.put("edge-newer-version", concat(FuzzCodecs.bytes(Hello.encode(Protocol.VERSION + 1)), ack));
        // a peer from before hellos: its first frame header where the hello should be
        seeds.put("edge-no-hello", concat(ack, ack));
        seeds.put("edge-short-header", concat(hello, Arrays.copyOf(ack, Frame.HEADER_BYTES - 1)));
        byte[] longer = concat(ack, new byte[] {1});
        seeds.put("edge-trailing-byte", concat(hello, longer));
        seeds.put("edge-negative-length", concat(hello, withInt(ack, 0, -1)));
        seeds.put("edge-huge-length", concat(hello, withInt(ack, 0, Integer.MAX_VALUE)));
        byte[] over = FuzzCodecs.bytes(Frame.encode(0x0102, 0, 0, 1, 2, out -> out.putRaw(new byte[65], 0, 65)));
        seeds.put("edge-over-small-limit", concat(hello, over));
        seeds.put("edge-unknown-opcode", concat(hello, withShort(ack, 4, 0x7F01)));
        seeds.put("edge-reply-to-one-way", concat(hello, withShort(withByte(ack, 6, Frame.FLAG_REPLY), 4,
                org.legoos.net.protocol.pm.PmOp.OUTPUT.code())));
        return seeds;
    }

    /**
     * Byte streams for the TCP framer: the first byte picks the body limit (bits 0-1), the chunking (bits 2-6) and
     * whether the stream goes through the hello decoder too (bit 7), then the stream.
     */
    static Map<String, byte[]> streamSeeds() {
        List<byte[]> small = new ArrayList<>();
        List<byte[]> all = new ArrayList<>();
        long id = 100;
        for (Map.Entry<Decoder, Message> e : samples().entrySet()) {
            byte[] f = frame(e.getKey(), e.getValue(), 0, 4, id++);
            all.add(f);
            if (f.length - Frame.HEADER_BYTES <= 256 && small.size() < 12) {
                small.add(f);
            }
        }
        byte[] empty = FuzzCodecs.bytes(Frame.encode(org.legoos.net.protocol.gm.GmOp.MEMBERS.code(), 0, 0, 1, 5,
                new org.legoos.net.protocol.gm.MembersRequest()));
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        // limit 0 (bits 0-1 = 0): empty bodies only; one-byte chunks (bits 2-7 = 0)
        seeds.put("frames-empty-bodies", concat(new byte[] {0}, empty, empty, empty));
        // limit 256, chunks up to 2 bytes, 16 bytes, 128 bytes
        seeds.put("frames-small-tiny-chunks", concat(new byte[] {(byte) (2 | 0 << 2)}, concat(small.toArray(byte[][]::new))));
        seeds.put("frames-small-mid-chunks", concat(new byte[] {(byte) (2 | 7 << 2)}, concat(small.toArray(byte[][]::new))));
        seeds.put("frames-small-big-chunks", concat(new byte[] {(byte) (2 | 31 << 2)}, concat(small.toArray(byte[][]::new))));
        // limit 1 MiB: every opcode's request and reply in one stream
        seeds.put("frames-every-opcode", concat(new byte[] {(byte) (3 | 31 << 2)}, concat(all.toArray(byte[][]::new))));
        byte[] two = concat(small.get(0), small.get(1));
        seeds.put("edge-cut-mid-frame", concat(new byte[] {(byte) (2 | 3 << 2)}, Arrays.copyOf(two, two.length - 5)));
        seeds.put("edge-cut-mid-header", concat(new byte[] {(byte) (2 | 3 << 2)}, small.get(0), new byte[] {9, 0, 0}));
        seeds.put("edge-negative-length", concat(new byte[] {(byte) (2 | 5 << 2)}, two, withInt(empty, 0, -7), empty));
        seeds.put("edge-too-long", concat(new byte[] {(byte) (1 | 5 << 2)}, empty, withInt(empty, 0, 17), new byte[17]));
        seeds.put("edge-huge-length", concat(new byte[] {(byte) (3 | 9 << 2)}, empty, withInt(empty, 0, Integer.MAX_VALUE)));
        // through the hello decoder and the connection's wire (bit 7), as a socket's bytes go
        byte[] hello = FuzzCodecs.bytes(Hello.encode());
        seeds.put("hello-frames-small", concat(new byte[] {(byte) (0x80 | 2 | 3 << 2)}, hello, concat(small.toArray(byte[][]::new))));
        seeds.put("hello-frames-every-opcode", concat(new byte[] {(byte) (0x80 | 3 | 31 << 2)}, hello, concat(all.toArray(byte[][]::new))));
        seeds.put("hello-one-byte-chunks", concat(new byte[] {(byte) (0x80 | 2)}, hello, two));
        seeds.put("hello-then-bad-length", concat(new byte[] {(byte) (0x80 | 1 | 5 << 2)}, hello, empty, withInt(empty, 0, 17)));
        seeds.put("hello-old-version", concat(new byte[] {(byte) (0x80 | 2 | 2 << 2)},
                FuzzCodecs.bytes(Hello.encode(Protocol.VERSION - 1)), two));
        seeds.put("hello-none", concat(new byte[] {(byte) (0x80 | 2 | 2 << 2)}, two));
        seeds.put("hello-short", concat(new byte[] {(byte) 0x80}, Arrays.copyOf(hello, 5)));
        return seeds;
    }

    private static byte[] withInt(byte[] b, int at, int v) {
        byte[] c = b.clone();
        ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putInt(at, v);
        return c;
    }

    private static byte[] withShort(byte[] b, int at, int v) {
        byte[] c = b.clone();
        ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putShort(at, (short) v);
        return c;
    }

    private static byte[] withByte(byte[] b, int at, int v) {
        byte[] c = b.clone();
        c[at] = (byte) v;
        return c;
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    private static void write(Path dir, Map<String, byte[]> seeds) {
        try {
            Files.createDirectories(dir);
            for (Map.Entry<String, byte[]> e : seeds.entrySet()) {
                Files.write(dir.resolve(e.getKey()), e.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
