package io.modbackup.demo;

import io.modbackup.api.provider.ForwardingBackupProvider;
import io.modbackup.core.provider.local.LocalDirectoryProvider;
import io.modbackup.testkit.provider.FaultInjectingProvider;
import io.modbackup.testkit.provider.FaultRule;
import io.modbackup.testkit.provider.FaultRule.Operation;
import java.time.Duration;

/**
 * A local directory store whose chunk transfers each take 300 ms more, loadable from a config
 * string ({@code "io.modbackup.demo.SlowLocalProvider <dir>"}), so that a test can kill the CLI
 * while a backup or restore is surely in flight.
 */
public final class SlowLocalProvider extends ForwardingBackupProvider {
    static final Duration DELAY = Duration.ofMillis(300);

    public SlowLocalProvider(String directory) {
        super(new FaultInjectingProvider(new LocalDirectoryProvider(directory), 1)
                .addRule(FaultRule.delay(Operation.PUT, DELAY).forKeys("blobs/.*"))
                .addRule(FaultRule.delay(Operation.GET, DELAY).forKeys("blobs/.*")));
    }
}
