package org.diffmmj.nn;

import java.util.List;
import java.util.function.BiFunction;

import org.diffmmj.autograd.Tape;
import org.diffmmj.autograd.Var;

/** Linear layers with an activation between consecutive ones and none after the last. */
public final class Mlp extends Module {

    private final List<Linear> layers;
    private final BiFunction<Tape, Var, Var> activation;

    /** {@code activation} is applied between layers, e.g. {@code Tape::tanh}. */
    public Mlp(List<Linear> layers, BiFunction<Tape, Var, Var> activation) {
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("an MLP needs at least one layer");
        }
        for (int k = 1; k < layers.size(); k++) {
            if (layers.get(k).in() != layers.get(k - 1).out()) {
                throw new IllegalArgumentException("layer " + k + " takes " + layers.get(k).in() + " inputs but layer "
                        + (k - 1) + " gives " + layers.get(k - 1).out());
            }
        }
        this.layers = List.copyOf(layers);
        this.activation = activation;
        layers.forEach(this::register);
    }

    public Var forward(Tape tape, Var x) {
        Var h = layers.get(0).forward(tape, x);
        for (int k = 1; k < layers.size(); k++) {
            h = layers.get(k).forward(tape, activation.apply(tape, h));
        }
        return h;
    }

    public List<Linear> layers() {
        return layers;
    }
}
