package org.diffmmj.autograd;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Opt-in time per op (DIFFMM_PROFILE=1): forward time is attributed to the op that registers
 * the next backward step, backward time per op; a table is printed to stderr at exit.
 */
final class OpProfile {

    private final Map<String, AtomicLong> nanos = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> calls = new ConcurrentHashMap<>();
    private final ThreadLocal<long[]> lastMark = ThreadLocal.withInitial(() -> new long[] {System.nanoTime()});
    private final ThreadLocal<String> current = new ThreadLocal<>();

    static OpProfile fromEnvironment() {
        if (System.getenv("DIFFMM_PROFILE") == null) {
            return null;
        }
        OpProfile p = new OpProfile();
        Runtime.getRuntime().addShutdownHook(new Thread(p::print));
        return p;
    }

    /** Called at the end of each op's forward: the time since the previous mark is that op's. */
    void endForward() {
        StackTraceElement[] st = Thread.currentThread().getStackTrace();
        String op = "?";
        for (int k = 2; k < st.length; k++) {
            if (st[k].getClassName().equals(Tape.class.getName()) && !st[k].getMethodName().startsWith("lambda")
                    && !st[k].getMethodName().equals("onBackward")) {
                op = st[k].getMethodName();
                break;
            }
        }
        long now = System.nanoTime();
        add(op + ".forward", now - lastMark.get()[0]);
        lastMark.get()[0] = now;
        current.set(op);
    }

    /** Restarts the forward clock (after a backward pass or at a new tape). */
    void mark() {
        lastMark.get()[0] = System.nanoTime();
    }

    String currentOp() {
        return current.get();
    }

    void add(String key, long ns) {
        nanos.computeIfAbsent(key, k -> new AtomicLong()).addAndGet(ns);
        calls.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet();
    }

    private void print() {
        System.err.println("op profile (forward time includes the caller's work since the previous op):");
        nanos.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue().get(), a.getValue().get())).limit(40)
                .forEach(e -> System.err.printf("  %-28s %9.2f s %8d calls%n", e.getKey(), e.getValue().get() / 1e9,
                        calls.get(e.getKey()).get()));
    }
}
