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
 * <p>
 * With several runs at a time each child sees its share of the cores
 * ({@code -XX:ActiveProcessorCount}, from which the engine sizes both its thread pool and
 * OpenBLAS's): two TikTok trainings with two threads each on two cores were measured to spend
 * about four times the CPU per epoch that they spend with one thread each, as the threads of one
 * run wait on those of the other.
 */
public final class JvmLauncher implements RunLauncher {

    private final String mainClass;
    private final int jobs;
    private final Set<Process> running = ConcurrentHashMap.newKeySet();

    /** Runs {@code mainClass} in a child JVM per run, {@code jobs} of them at a time at most. */
    public JvmLauncher(String mainClass, int jobs) {
        this.mainClass = mainClass;
        this.jobs = Math.max(1, jobs);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> running.forEach(Process::destroy)));
    }

    @Override
    public int run(List<String> args, Path log) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command(args)).redirectErrorStream(true)
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

    /** The child's command line: this JVM's java and options, a share of the cores, the class path. */
    List<String> command(List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // A debugger's agent would clash on its port; nothing else is dropped.
            if (!a.startsWith("-agentlib:jdwp") && !a.startsWith("-Xrunjdwp")) {
                command.add(a);
            }
        }
        boolean coresSet = command.stream().anyMatch(a -> a.startsWith("-XX:ActiveProcessorCount="));
        if (jobs > 1 && !coresSet) {
            command.add("-XX:ActiveProcessorCount=" + Math.max(1, Runtime.getRuntime().availableProcessors() / jobs));
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass);
        command.addAll(args);
        return command;
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
