package org.diffmmj.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

import org.diffmmj.data.DataFormat;
import org.diffmmj.data.Dataset;
import org.diffmmj.data.DatasetLoader;

/** data split / convert end to end: quoted ids survive, --delimiter, errors without stack traces. */
class DataSplitCommandTest {

    @TempDir
    Path dir;

    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cl = Main.commandLine();
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    private Path log() throws Exception {
        StringBuilder sb = new StringBuilder("user,item,rating,timestamp\n");
        String[] users = {"\"x,y\"", "plain", "\"say \"\"hi\"\"\"", "u4"};
        for (int u = 0; u < users.length; u++) {
            for (int i = 0; i < 5; i++) {
                sb.append(users[u]).append(",item").append((u + i) % 6).append(',').append(5).append(',').append(100 * u + i).append('\n');
            }
        }
        Path f = dir.resolve("log.csv");
        Files.writeString(f, sb.toString());
        return f;
    }

    @Test
    void splitThenConvertKeepsQuotedIds() throws Exception {
        Path out = dir.resolve("split");
        assertThat(run("data", "split", "--input", log().toString(), "--k-core", "2", "--split", "leave-one-out",
                "--out", out.toString())).as(err.toString()).isZero();
        Dataset d = DatasetLoader.load(out);
        assertThat(d.users()).isEqualTo(4);
        assertThat(d.userIds().index("x,y")).isEqualTo(0);
        assertThat(d.userIds().index("say \"hi\"")).isEqualTo(2);
        assertThat(d.test().size()).isEqualTo(4);
        Path converted = dir.resolve("converted");
        assertThat(run("data", "convert", "--data", out.toString(), "--to", "csv", "--out", converted.toString()))
                .as(err.toString()).isZero();
        Dataset back = DatasetLoader.load(converted);
        assertThat(back.fingerprint()).isEqualTo(d.fingerprint());
        assertThat(back.userIds().externalId(0)).isEqualTo("x,y");
        Path authors = dir.resolve("authors");
        assertThat(run("data", "split", "--input", log().toString(), "--split", "temporal", "--ratios", "0.6,0.2,0.2",
                "--format", "authors", "--out", authors.toString())).as(err.toString()).isZero();
        assertThat(DataFormat.detect(authors)).isEqualTo(DataFormat.AUTHORS);
        assertThat(Files.readString(authors.resolve("user_ids.csv"))).startsWith("index,user\n0,\"x,y\"\n");
    }

    @Test
    void convertReadsAnotherDelimiter() throws Exception {
        Path in = Files.createDirectory(dir.resolve("semi"));
        Files.writeString(in.resolve("train.csv"), "user;item\n\"a;b\";x\nc;y\n");
        Files.writeString(in.resolve("val.csv"), "user;item\nc;x\n");
        Files.writeString(in.resolve("test.csv"), "user;item\n\"a;b\";y\n");
        Path out = dir.resolve("out");
        assertThat(run("data", "convert", "--data", in.toString(), "--to", "csv", "--delimiter", ";", "--out", out.toString()))
                .as(err.toString()).isZero();
        assertThat(DatasetLoader.load(out).userIds().externalId(0)).isEqualTo("a;b");
        assertThat(run("data", "convert", "--data", in.toString(), "--to", "csv", "--delimiter", ";;", "--out",
                dir.resolve("o2").toString())).isEqualTo(1);
        assertThat(err.toString()).contains("--delimiter must be one character");
    }

    @Test
    void badInputGivesOneLineNotAStackTrace() throws Exception {
        Path f = dir.resolve("bad.csv");
        Files.writeString(f, "u,a\nu,b,3\n");
        assertThat(run("data", "split", "--input", f.toString(), "--split", "random", "--out", dir.resolve("o").toString()))
                .isEqualTo(1);
        assertThat(err.toString()).contains("bad.csv:2").doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(run("data", "synth", "--users", "30", "--items", "20", "--out", "/")).isEqualTo(1);
        assertThat(err.toString()).doesNotContain("NullPointerException");
    }
}
