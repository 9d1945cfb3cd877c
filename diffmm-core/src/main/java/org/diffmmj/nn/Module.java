package org.diffmmj.nn;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.tensor.Tensor;

/**
 * A piece of a model that owns parameters and child modules, in the spirit of PyTorch's
 * {@code nn.Module}: {@link #parameters()} gathers its own and its children's parameters in the
 * order they were registered. Parameter names are full names (they key checkpoints and optimiser
 * state), so they are checked unique across the module's whole tree as it is built; register a
 * child after constructing it.
 */
public abstract class Module {

    private final List<Object> entries = new ArrayList<>();
    private final Set<String> names = new HashSet<>();

    /** Registers a new parameter with the given initial value. */
    protected final Parameter parameter(String name, Tensor initial) {
        return register(new Parameter(name, initial));
    }

    protected final Parameter register(Parameter p) {
        claim(p.name());
        entries.add(p);
        return p;
    }

    /** Registers a child; its parameters become this module's, after those registered before it. */
    protected final <M extends Module> M register(M child) {
        if (child == this) {
            throw new IllegalArgumentException("a module cannot contain itself");
        }
        for (Parameter p : child.parameters()) {
            claim(p.name());
        }
        entries.add(child);
        return child;
    }

    private void claim(String name) {
        if (!names.add(name)) {
            throw new IllegalStateException(getClass().getSimpleName() + ": two parameters are named '" + name + "'");
        }
    }

    /** Every parameter of this module and its children, in registration order. */
    public List<Parameter> parameters() {
        List<Parameter> out = new ArrayList<>();
        for (Object e : entries) {
            if (e instanceof Parameter p) {
                out.add(p);
            } else {
                out.addAll(((Module) e).parameters());
            }
        }
        return out;
    }
}
