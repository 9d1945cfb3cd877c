package org.diffmmj.cli;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import picocli.CommandLine.Model.CommandSpec;

import org.diffmmj.train.RunConfig;

/**
 * What {@code command.json} records of a run, so a result can be traced to the code and machine
 * that made it: the version and git commit (when started from a checkout by ./diffmm), the JVM,
 * the machine, the start time, the command line and the resolved config.
 */
final class RunRecord {

    private RunRecord() {
    }

    static Map<String, Object> describe(RunConfig config, CommandSpec spec, boolean resumed) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", version());
        m.put("git_commit", System.getProperty("diffmm.commit", null));
        m.put("started", Instant.now().toString());
        m.put("resumed", resumed);
        List<String> args = spec == null ? List.of() : spec.commandLine().getParseResult().originalArgs();
        m.put("args", args);
        m.put("working_directory", Path.of("").toAbsolutePath().normalize().toString());
        Map<String, Object> jvm = new LinkedHashMap<>();
        jvm.put("version", System.getProperty("java.version"));
        jvm.put("vendor", System.getProperty("java.vendor"));
        jvm.put("max_heap_mb", Runtime.getRuntime().maxMemory() >> 20);
        m.put("jvm", jvm);
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("host", host());
        machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        machine.put("arch", System.getProperty("os.arch"));
        machine.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("machine", machine);
        m.put("config", config.toMap());
        return m;
    }

    static String version() {
        String v = RunRecord.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0-SNAPSHOT" : v;
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return null;
        }
    }
}
