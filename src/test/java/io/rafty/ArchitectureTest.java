package io.rafty;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Dependencies point inward (STYLE.md "The house"): the Raft core and the replicated state machine
 * know nothing of Vert.x, RocksDB, sockets, files, threads or the wall clock, so the same code runs
 * on an event loop and under the deterministic simulator.
 */
class ArchitectureTest {

    private static final String[] IO_AND_FRAMEWORKS = {
        "java.io..", "java.nio.file..", "java.nio.channels..", "java.net..", "java.util.concurrent..",
        "io.vertx..", "io.netty..", "org.rocksdb..", "com.fasterxml.jackson.."
    };

    private static JavaClasses main;

    @BeforeAll
    static void importMainClasses() {
        main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.rafty");
    }

    @Test
    void raftCoreImportsNoIoFrameworkOrConcurrency() {
        noClasses().that().resideInAPackage("io.rafty.raft..")
                .should().dependOnClassesThat().resideInAnyPackage(IO_AND_FRAMEWORKS)
                .check(main);
    }

    @Test
    void kvStateMachineImportsNoIoFrameworkOrConcurrency() {
        noClasses().that().resideInAPackage("io.rafty.kv..")
                .should().dependOnClassesThat().resideInAnyPackage(IO_AND_FRAMEWORKS)
                .check(main);
    }

    @Test
    void raftCoreReadsNoWallClockAndStartsNoThreads() {
        noClasses().that().resideInAnyPackage("io.rafty.raft..", "io.rafty.kv..")
                .should().callMethod(System.class, "currentTimeMillis")
                .orShould().callMethod(System.class, "nanoTime")
                .orShould().dependOnClassesThat().areAssignableTo(Thread.class)
                .check(main);
    }

    @Test
    void coreDoesNotDependOnOuterLayers() {
        noClasses().that().resideInAnyPackage("io.rafty.raft..", "io.rafty.kv..")
                .should().dependOnClassesThat().resideInAnyPackage("io.rafty.storage..", "io.rafty.transport..",
                        "io.rafty.node..", "io.rafty.api..", "io.rafty.config..")
                .check(main);
    }

    /** The checker judges histories from the simulator, the fault suite and {@code rafty chaos} alike: it knows none of them. */
    @Test
    void linearizabilityCheckerDependsOnNothingElseOfRafty() {
        noClasses().that().resideInAPackage("io.rafty.check..")
                .should().dependOnClassesThat().resideInAnyPackage("io.rafty", "io.rafty.raft..", "io.rafty.kv..",
                        "io.rafty.node..", "io.rafty.storage..", "io.rafty.transport..", "io.rafty.api..",
                        "io.rafty.config..", "io.rafty.chaos..", "io.rafty.cli..", "io.vertx..")
                .check(main);
    }
}
