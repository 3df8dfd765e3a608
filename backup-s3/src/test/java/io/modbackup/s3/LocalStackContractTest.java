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

    @Override
    protected BackupProvider createProvider() {
        System.setProperty("aws.accessKeyId", LOCALSTACK.getAccessKey());
        System.setProperty("aws.secretAccessKey", LOCALSTACK.getSecretKey());
        return new S3BackupProvider(LOCALSTACK.getEndpoint() + "/localstack-" + BUCKETS.incrementAndGet()
                + "/prefix region=" + LOCALSTACK.getRegion() + " createBucket=true");
    }
}
