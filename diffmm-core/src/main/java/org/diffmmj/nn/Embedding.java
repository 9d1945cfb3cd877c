package org.diffmmj.nn;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;
import org.diffmmj.tensor.Tensor;

/** A table of free vectors, one row per id (parameter {@code NAME}, rows × dim). */
public final class Embedding extends Module {

    private final Parameter table;

    public Embedding(String name, Tensor initial) {
        this.table = parameter(name, initial);
    }

    /** The whole table on the tape. */
    public Var all(Tape tape) {
        return tape.param(table);
    }

    /** The rows of the given ids (duplicates allowed; their gradients add up). */
    public Var rows(Tape tape, int[] ids) {
        return tape.gatherRows(tape.param(table), ids);
    }

    /** The current values, not recorded on any tape (for inference). */
    public Tensor value() {
        return table.value();
    }

    public Parameter parameter() {
        return table;
    }
}
