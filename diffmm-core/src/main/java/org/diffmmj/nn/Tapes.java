package org.diffmmj.nn;

import java.util.function.Function;

import org.diffmmj.autograd.Tape;
import org.diffmmj.tensor.BufferPool;

/**
 * Makes tapes over one pool of reusable buffers, so models record computations without handling
 * the engine's memory themselves. The training loop lends one per epoch.
 */
public final class Tapes {

    private final BufferPool pool;

    public Tapes() {
        this(new BufferPool());
    }

    public Tapes(BufferPool pool) {
        this.pool = pool;
    }

    /** A tape that records for backward. */
    public Tape recording() {
        return new Tape(pool);
    }

    /** A tape that records nothing (inference, detached targets). */
    public Tape noGrad() {
        return Tape.noGrad(pool);
    }

    /**
     * Frees the buffers kept for reuse: call between phases whose temporaries have other shapes,
     * so the peak is the largest phase rather than their sum.
     */
    public void releaseTemporaries() {
        pool.clear();
    }

    /** Runs {@code work} on a no-grad tape over a fresh pool that is freed afterwards. */
    public static <T> T inference(Function<Tape, T> work) {
        Tapes tapes = new Tapes();
        try (Tape tape = tapes.noGrad()) {
            return work.apply(tape);
        } finally {
            tapes.releaseTemporaries();
        }
    }
}
