package org.diffmmj.model.diffmm;

import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import java.nio.FloatBuffer;

import org.diffmmj.data.Interactions;
import org.diffmmj.tensor.Tensor;

/** Dense 0/1 interaction rows for a batch of users; the whole users×items matrix never exists. */
final class InteractionRows {

    private InteractionRows() {
    }

    /** The users' rows as a constant on the tape (owned by it). */
    static Var of(Tape tape, Interactions train, int[] users) {
        Tensor rows = tape.pool().acquire(users.length, train.items());
        fill(train, users, rows);
        return tape.adopt(rows);
    }

    static void fill(Interactions train, int[] users, Tensor out) {
        out.fill(0f);
        FloatBuffer buf = out.buffer();
        int[] ptr = train.userPtr();
        int[] items = train.userItems();
        int width = out.cols();
        for (int r = 0; r < users.length; r++) {
            int u = users[r];
            for (int k = ptr[u]; k < ptr[u + 1]; k++) {
                buf.put(r * width + items[k], 1f);
            }
        }
    }
}
