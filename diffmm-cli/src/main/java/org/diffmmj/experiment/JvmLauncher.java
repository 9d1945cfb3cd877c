package org.diffmmj.experiment;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each run in a fresh JVM started like this one (same java, class path and JVM options, so the
 * same heap limit and the Vector API module), running {@code mainClass}. A process per run gives
 * each its own peak RSS, lets {@code --jobs} runs overlap without sharing the engine's buffer pool
 * or thread pool, and a crash or out-of-memory in one run leaves the others standing. Runs still
 * going when this process is stopped (Ctrl-C, SIGTERM) are stopped with it; their training state
 * lets the next invocation resume them.
 */
public final class JvmLauncher implements RunLauncher {

    private final String mainClass;
    private final Set<Process> running = ConcurrentHashMap.newKeySet();

    public JvmLauncher(String mainClass) {
        this.mainClass = mainClass;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> running.forEach(Process::destroy)));
    }

    @Override
    public int run(List<String> args, Path log) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // A debugger's agent would clash on its port; nothing else is dropped.
            if (!a.startsWith("-agentlib:jdwp") && !a.startsWith("-Xrunjdwp")) {
                command.add(a);
            }
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass);
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Process p = pb.start();
        running.add(p);
        try {
            return p.waitFor();
        } catch (InterruptedException e) {
            p.destroy();
            throw e;
        } finally {
            running.remove(p);
        }
    }

    @Override
    public boolean parallel() {
        return true;
    }

    @Override
    public boolean isolated() {
        return true;
    }
}
