package io.modbackup.cluster;

import io.modbackup.cluster.launch.ClusterCommand;
import io.modbackup.cluster.launch.RemoteCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * {@code bin/cluster} and {@code bin/backup} run in the test's JVM through their shipped entry points
 * ({@link ClusterCommand#run}, {@link RemoteCli#run}), with what they print captured; the nodes they start
 * are processes of their own.
 */
final class ShippedCommands {
    private ShippedCommands() {
    }

    /** A command's exit code and what it printed. */
    record Result(int code, String out, String err) {
    }

    /** {@code bin/cluster args...}. */
    static Result cluster(String... args) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = ClusterCommand.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** {@code bin/backup args...}. */
    static Result backup(List<String> args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = RemoteCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), false);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
