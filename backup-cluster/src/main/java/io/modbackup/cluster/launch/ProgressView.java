package io.modbackup.cluster.launch;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modbackup.cli.operation.OperationRecord;
import io.modbackup.cli.operation.ProgressLine;
import java.io.PrintStream;
import java.util.Objects;

/**
 * How {@code bin/backup} shows a running operation: one updating line on a terminal, periodic lines
 * into a pipe or a file, or JSON lines for scripts. Whatever the command prints, and its errors, come on
 * lines of their own. Used by one thread.
 */
abstract class ProgressView {

    /** The operation's latest state, seen by a poll while it runs. */
    abstract void progress(OperationRecord operation, long nowMillis);

    /** What the command printed since the last poll: forwarded as it came. */
    void output(String out, String err, PrintStream stdout, PrintStream stderr) {
        stdout.print(out);
        stdout.flush();
        stderr.print(err);
        stderr.flush();
    }

    /** The command ended with {@code exitCode}; {@code operation} is its operation's last state, or null. */
    abstract void finish(OperationRecord operation, int exitCode, long nowMillis);

    /** Ends an open progress line before something else is printed. */
    abstract void clear();

    /** A terminal: the progress line is rewritten in place, and wiped before any other output. */
    static final class Terminal extends ProgressView {
        private final PrintStream err;
        private int open;

        Terminal(PrintStream err) {
            this.err = err;
        }

        @Override
        void progress(OperationRecord operation, long nowMillis) {
            String line = ProgressLine.of(operation, nowMillis);
            err.print("\r" + line + " ".repeat(Math.max(0, open - line.length())));
            err.flush();
            open = line.length();
        }

        @Override
        void output(String out, String err, PrintStream stdout, PrintStream stderr) {
            clear();
            super.output(out, err, stdout, stderr);
        }

        @Override
        void finish(OperationRecord operation, int exitCode, long nowMillis) {
            clear();
        }

        @Override
        void clear() {
            if (open > 0) {
                err.print("\r" + " ".repeat(open) + "\r");
                err.flush();
                open = 0;
            }
        }
    }

    /**
     * A pipe or a file: a line when the progress changed, at most every {@value #MIN_GAP_MILLIS} ms, and
     * one every {@value #MAX_GAP_MILLIS} ms while nothing changes, so a stuck operation shows as one.
     */
    static final class Pipe extends ProgressView {
        static final long MIN_GAP_MILLIS = 2000;
        static final long MAX_GAP_MILLIS = 10_000;
        private final PrintStream err;
        private long lastPrinted = -1;
        private Object lastProgress;

        Pipe(PrintStream err) {
            this.err = err;
        }

        @Override
        void progress(OperationRecord operation, long nowMillis) {
            if (due(operation, nowMillis)) {
                err.println(ProgressLine.of(operation, nowMillis));
                err.flush();
            }
        }

        /** Whether a line is due for {@code operation} now; if so, counts it as printed. */
        boolean due(OperationRecord operation, long nowMillis) {
            Object now = operation.progress() == null ? operation.id() : operation.progress();
            boolean changed = !Objects.equals(now, lastProgress);
            long gap = lastPrinted < 0 ? Long.MAX_VALUE : nowMillis - lastPrinted;
            if (changed && gap >= MIN_GAP_MILLIS || gap >= MAX_GAP_MILLIS) {
                lastPrinted = nowMillis;
                lastProgress = now;
                return true;
            }
            return false;
        }

        @Override
        void finish(OperationRecord operation, int exitCode, long nowMillis) {
        }

        @Override
        void clear() {
        }
    }

    /**
     * JSON lines on stdout: {@code {"event":"progress","operation":{...},"line":"..."}} as for a pipe,
     * {@code {"event":"out"|"err","text":"..."}} for what the command printed, and last
     * {@code {"event":"exit","code":N,"operation":{...}}}.
     */
    static final class Json extends ProgressView {
        private static final ObjectMapper JSON = new ObjectMapper();
        private final PrintStream out;
        private final Pipe pacing;

        Json(PrintStream out) {
            this.out = out;
            this.pacing = new Pipe(null);
        }

        @Override
        void progress(OperationRecord operation, long nowMillis) {
            if (pacing.due(operation, nowMillis)) {
                ObjectNode event = JSON.createObjectNode().put("event", "progress");
                event.set("operation", JSON.valueToTree(operation));
                event.put("line", ProgressLine.of(operation, nowMillis));
                emit(event);
            }
        }

        @Override
        void output(String text, String err, PrintStream stdout, PrintStream stderr) {
            if (!text.isEmpty()) {
                emit(JSON.createObjectNode().put("event", "out").put("text", text));
            }
            if (!err.isEmpty()) {
                emit(JSON.createObjectNode().put("event", "err").put("text", err));
            }
        }

        @Override
        void finish(OperationRecord operation, int exitCode, long nowMillis) {
            ObjectNode event = JSON.createObjectNode().put("event", "exit").put("code", exitCode);
            event.set("operation", operation == null ? null : JSON.valueToTree(operation));
            emit(event);
        }

        @Override
        void clear() {
        }

        private void emit(ObjectNode event) {
            out.println(event.toString());
            out.flush();
        }
    }
}
