package io.rafty.kv;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

class KvPackageArchitectureTest {

    @Test
    void kvPackageDoesNoIoAndKnowsNoFrameworks() {
        // The state machine must behave identically on every node and under the simulator.
        JavaClasses kv = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.rafty.kv");
        noClasses().that().resideInAPackage("io.rafty.kv..")
                .should().dependOnClassesThat()
                .resideInAnyPackage("java.io..", "java.nio.file..", "java.net..", "io.vertx..", "org.rocksdb..")
                .check(kv);
    }
}
