package org.diffmmj;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The package design the code is meant to live in, checked from the sources: arrows only
 * downward (no cycle between packages), the engine knows nothing of recommenders, and the model
 * layer does not reach up into training, checkpoints, serving or the command line.
 */
class ArchitectureTest {

    /** Each module's main sources; the tests run in diffmm-cli, beside the other modules. */
    private static final List<Path> ROOTS = List.of("diffmm-core", "diffmm-serve", "diffmm-cli").stream()
            .map(m -> Path.of("..", m, "src/main/java/org/diffmmj")).toList();
    private static final Pattern REFERENCE = Pattern.compile("org\\.diffmmj\\.([a-z]+)\\.[A-Z]");
    private static final Set<String> ENGINE = Set.of("tensor", "autograd", "sparse", "optim", "random", "cluster");

    /** For each package, the other packages its sources name. */
    static Map<String, Set<String>> dependencies() throws IOException {
        Map<String, Set<String>> deps = new TreeMap<>();
        for (Path root : ROOTS) {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String pkg = root.relativize(f.getParent()).toString().split("/")[0];
                Set<String> out = deps.computeIfAbsent(pkg, k -> new TreeSet<>());
                Matcher m = REFERENCE.matcher(Files.readString(f));
                while (m.find()) {
                    if (!m.group(1).equals(pkg)) {
                        out.add(m.group(1));
                    }
                }
            }
        }
        }
        return deps;
    }

    @Test
    void packagesFormNoCycle() throws IOException {
        Map<String, Set<String>> deps = dependencies();
        assertThat(deps).containsKeys("tensor", "autograd", "nn", "model", "train", "cli");
        List<String> cycles = new ArrayList<>();
        for (String start : deps.keySet()) {
            // Depth-first from each package: reaching the start again is a cycle.
            List<List<String>> stack = new ArrayList<>(List.of(List.of(start)));
            Set<String> visited = new TreeSet<>();
            while (!stack.isEmpty()) {
                List<String> path = stack.remove(stack.size() - 1);
                for (String next : deps.getOrDefault(path.get(path.size() - 1), Set.of())) {
                    if (next.equals(start)) {
                        cycles.add(String.join(" -> ", path) + " -> " + start);
                    } else if (visited.add(next)) {
                        List<String> longer = new ArrayList<>(path);
                        longer.add(next);
                        stack.add(longer);
                    }
                }
            }
        }
        assertThat(cycles).as("package cycles").isEmpty();
    }

    @Test
    void theEngineKnowsNothingOfRecommenders() throws IOException {
        Map<String, Set<String>> deps = dependencies();
        for (String pkg : ENGINE) {
            assertThat(deps.getOrDefault(pkg, Set.of())).as(pkg + " depends only on the engine").isSubsetOf(ENGINE);
        }
        assertThat(deps.get("nn")).as("nn sits on the engine").isSubsetOf(ENGINE);
        assertThat(deps.get("diffusion")).as("diffusion sits on nn and the engine").isSubsetOf(union(ENGINE, "nn"));
    }

    @Test
    void modelsDoNotReachUpIntoTrainingCheckpointsServingOrTheCommandLine() throws IOException {
        Map<String, Set<String>> deps = dependencies();
        assertThat(deps.get("model")).doesNotContain("train", "io", "serve", "cli");
        assertThat(deps.get("train")).doesNotContain("serve", "cli");
        assertThat(deps.get("serve")).doesNotContain("cli", "train");
        // Experiments (reproduce, tune) sit beside the command line and are driven by it, never the reverse.
        assertThat(deps.get("experiment")).doesNotContain("cli", "serve");
        assertThat(deps.get("train")).doesNotContain("experiment");
    }

    @Test
    void modelsNeverTouchTheEnginesMemoryOrThreads() throws IOException {
        Pattern internals = Pattern.compile("BufferPool|\\.pool\\(\\)|\\.buffer\\(\\)|\\.pointer\\(\\)|Parallel\\.|FloatBuffer");
        List<String> offenders = new ArrayList<>();
        Path core = ROOTS.get(0);
        for (String pkg : List.of("model", "diffusion")) {
            try (Stream<Path> files = Files.walk(core.resolve(pkg))) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    Matcher m = internals.matcher(Files.readString(f));
                    if (m.find()) {
                        offenders.add(core.relativize(f) + ": " + m.group());
                    }
                }
            }
        }
        assertThat(offenders).as("model code reaching into the engine's buffers, pool or threads").isEmpty();
    }

    private static Set<String> union(Set<String> a, String... more) {
        Set<String> s = new TreeSet<>(a);
        s.addAll(List.of(more));
        return s;
    }
}
