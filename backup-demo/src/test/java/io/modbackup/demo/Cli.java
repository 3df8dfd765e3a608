package io.modbackup.demo;

import io.modbackup.cli.command.BackupCli;
import java.io.PrintWriter;

/** {@code backup ...}: the CLI acting on the demo's simulated cluster. */
public final class Cli {
    private Cli() {
    }

    public static void main(String[] args) {
        int code = BackupCli.run(new SimulatedClusterConnector(), args, new PrintWriter(System.out, true),
                new PrintWriter(System.err, true));
        System.exit(code);
    }
}
