package io.modbackup.s3;

import io.modbackup.api.provider.BackupProvider;
import io.modbackup.testkit.provider.BackupProviderContractTest;
import java.util.concurrent.atomic.AtomicInteger;
import org.testcontainers.localstack.LocalStackContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;

/**
 * The contract suite against LocalStack's S3. Runs where a Docker daemon can start the image; where
 * none is reachable (CI here has no Docker daemon and no Docker Hub) JUnit reports it disabled with
 * Testcontainers' reason, "Docker is not available". The in-process S3Proxy suite always runs.
 */
@Testcontainers(disabledWithoutDocker = true)
class LocalStackContractTest extends BackupProviderContractTest {
    @Container
    private static final LocalStackContainer LOCALSTACK =
            new LocalStackContainer(DockerImageName.parse("localstack/localstack:3.8"))
                    .withServices("s3");
    private static final AtomicInteger BUCKETS = new AtomicInteger();

    /** The credential properties as they were before this class set its own; put back after it. */
    private static final java.util.Map<String, String> BEFORE = new java.util.HashMap<>();

    @org.junit.jupiter.api.AfterAll
    static void restoreCredentials() {
        BEFORE.forEach((name, value) -> {
            if (value == null) {
                System.clearProperty(name);
            } else {
                System.setProperty(name, value);
            }
        });
    }

    private static void set(String name, String value) {
        if (!BEFORE.containsKey(name)) {
            BEFORE.put(name, System.getProperty(name));
        }
        System.setProperty(name, value);
    }

    @Override
    protected BackupProvider createProvider() {
        set("aws.accessKeyId", LOCALSTACK.getAccessKey());
        set("aws.secretAccessKey", LOCALSTACK.getSecretKey());
        return new S3BackupProvider(LOCALSTACK.getEndpoint() + "/localstack-" + BUCKETS.incrementAndGet()
                + "/prefix region=" + LOCALSTACK.getRegion() + " createBucket=true");
    }
}
