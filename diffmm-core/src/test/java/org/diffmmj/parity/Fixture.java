package org.diffmmj.parity;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.diffmmj.autograd.Parameter;
import org.diffmmj.sparse.CsrMatrix;
import org.diffmmj.tensor.Tensor;

/**
 * One directory of parity fixtures written by tools/parity: {@code meta.json} and .npy arrays of
 * any rank (float32, float64, int64), read as doubles in C order.
 */
final class Fixture {

    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    /** An array as stored: its shape and its values in C order. */
    record Array(int[] shape, double[] values) {
        int rows() {
            return shape.length == 2 ? shape[0] : 1;
        }

        int cols() {
            return shape.length == 2 ? shape[1] : values.length;
        }

        float[] floats() {
            float[] f = new float[values.length];
            for (int k = 0; k < f.length; k++) {
                f[k] = (float) values[k];
            }
            return f;
        }

        int[] ints() {
            return Arrays.stream(values).mapToInt(v -> (int) v).toArray();
        }

        double get(int r, int c) {
            return values[r * cols() + c];
        }
    }

    private final Path dir;
    private final JsonNode meta;

    Fixture(String name) {
        URL url = Fixture.class.getResource("/parity/" + name + "/meta.json");
        assertThat(url).as("fixture %s (generate with tools/parity)", name).isNotNull();
        try {
            dir = Path.of(url.toURI()).getParent();
            meta = new ObjectMapper().readTree(Files.readAllBytes(dir.resolve("meta.json")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    JsonNode meta() {
        return meta;
    }

    double scalar(String key) {
        JsonNode n = meta.get(key);
        assertThat(n).as("meta.json key %s", key).isNotNull();
        return n.asDouble();
    }

    int integer(String key) {
        return meta.get(key).asInt();
    }

    Array array(String name) {
        try {
            return read(dir.resolve(name + ".npy"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int[] ints(String name) {
        return array(name).ints();
    }

    /** A 2-D array as a tensor (a 1-D one as one row). */
    Tensor tensor(String name) {
        Array a = array(name);
        return Tensor.fromArray(a.rows(), a.cols(), a.floats());
    }

    /** The transpose of a 2-D array: PyTorch's Linear (out × in) to our (in × out). */
    Tensor transposed(String name) {
        return transposedColumns(name, 0, array(name).cols());
    }

    /** Columns [from, to) of a 2-D array, transposed. */
    Tensor transposedColumns(String name, int from, int to) {
        Array a = array(name);
        Tensor t = Tensor.zeros(to - from, a.rows());
        for (int r = 0; r < a.rows(); r++) {
            for (int c = from; c < to; c++) {
                t.set(c - from, r, (float) a.get(r, c));
            }
        }
        return t;
    }

    /** A dense square matrix as CSR, keeping its nonzero entries. */
    CsrMatrix sparse(String name) {
        Array a = array(name);
        int n = a.rows();
        int[] ptr = new int[n + 1];
        int nnz = (int) Arrays.stream(a.values()).filter(v -> v != 0).count();
        int[] cols = new int[nnz];
        float[] vals = new float[nnz];
        int k = 0;
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < a.cols(); c++) {
                if (a.get(r, c) != 0) {
                    cols[k] = c;
                    vals[k++] = (float) a.get(r, c);
                }
            }
            ptr[r + 1] = k;
        }
        return new CsrMatrix(n, a.cols(), ptr, cols, vals);
    }

    /**
     * Loads a model whose parameters are exactly the named tables and nn.Linear layers: each table
     * from its array, each layer's weight from {@code NAME_weight} (torch's out × in, transposed)
     * and bias from {@code NAME_bias}.
     */
    void loadTablesAndLinears(java.util.List<Parameter> params, java.util.List<String> tables,
                              java.util.List<String> linears) {
        java.util.Map<String, Parameter> p = byName(params);
        assertThat(p).hasSize(tables.size() + 2 * linears.size());
        for (String t : tables) {
            load(p.get(t), tensor(t));
        }
        for (String t : linears) {
            load(p.get(t + ".weight"), transposed(t + "_weight"));
            load(p.get(t + ".bias"), tensor(t + "_bias"));
        }
    }

    /** Copies {@code value} into the parameter, which must already have its shape. */
    static void load(Parameter p, Tensor value) {
        assertThat(value.shape()).as("shape of %s", p.name()).isEqualTo(p.value().shape());
        p.value().copyFrom(value);
        value.close();
    }

    static Array read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        int major = bytes[6];
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int headerLen = major == 1 ? Short.toUnsignedInt(b.getShort(8)) : b.getInt(8);
        int offset = major == 1 ? 10 : 12;
        String header = new String(bytes, offset, headerLen, StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !s.find() || header.contains("'fortran_order': True")) {
            throw new IOException(file + ": unexpected header " + header);
        }
        int[] shape = Arrays.stream(s.group(1).split(",")).map(String::trim).filter(x -> !x.isEmpty())
                .mapToInt(Integer::parseInt).toArray();
        int n = Arrays.stream(shape).reduce(1, (x, y) -> x * y);
        ByteBuffer data = ByteBuffer.wrap(bytes, offset + headerLen, bytes.length - offset - headerLen)
                .order(ByteOrder.LITTLE_ENDIAN);
        double[] v = new double[n];
        String descr = d.group(1);
        for (int k = 0; k < n; k++) {
            v[k] = switch (descr) {
                case "<f4" -> data.getFloat();
                case "<f8" -> data.getDouble();
                case "<i8" -> data.getLong();
                case "<i4" -> data.getInt();
                default -> throw new IOException(file + ": dtype " + descr);
            };
        }
        return new Array(shape, v);
    }

    /** |actual − expected| ≤ atol + rtol·|expected| elementwise; returns the largest |difference|. */
    static double assertClose(String what, float[] actual, double[] expected, double rtol, double atol) {
        assertThat(actual).as("%s: length", what).hasSize(expected.length);
        double worst = 0;
        double scale = 0;
        for (int k = 0; k < expected.length; k++) {
            double diff = Math.abs(actual[k] - expected[k]);
            worst = Math.max(worst, diff);
            scale = Math.max(scale, Math.abs(expected[k]));
            assertThat(diff).as("%s[%d]: ours %s, reference %s", what, k, actual[k], expected[k])
                    .isLessThanOrEqualTo(atol + rtol * Math.abs(expected[k]));
        }
        System.out.printf(Locale.ROOT, "parity %-40s max |diff| %.3g, max |reference| %.3g, %d values%n", what, worst,
                scale, expected.length);
        return worst;
    }

    static double assertClose(String what, Tensor actual, Array expected, double rtol, double atol) {
        assertThat(actual.rows() * actual.cols()).as("%s: size", what).isEqualTo(expected.values().length);
        return assertClose(what, actual.toArray(), expected.values(), rtol, atol);
    }

    /** A sparse matrix against a reference's dense one (e.g. a normalised adjacency's to_dense()). */
    static double assertClose(String what, CsrMatrix actual, Array expected, double rtol, double atol) {
        float[][] dense = actual.toDense();
        float[] flat = new float[actual.rows() * actual.cols()];
        for (int r = 0; r < dense.length; r++) {
            System.arraycopy(dense[r], 0, flat, r * actual.cols(), actual.cols());
        }
        return assertClose(what, flat, expected.values(), rtol, atol);
    }

    static double assertClose(String what, double actual, double expected, double rtol) {
        double diff = Math.abs(actual - expected);
        System.out.printf(Locale.ROOT, "parity %-40s ours %.9g reference %.9g rel %.3g%n", what, actual, expected,
                diff / Math.abs(expected));
        assertThat(diff).as("%s: ours %s, reference %s", what, actual, expected)
                .isLessThanOrEqualTo(rtol * Math.abs(expected));
        return diff / Math.abs(expected);
    }

    /** The training interactions stored as (user, item) pairs under "train_pairs". */
    org.diffmmj.data.Interactions interactions(int users, int items) {
        int[] pairs = ints("train_pairs");
        int n = pairs.length / 2;
        int[] u = new int[n];
        int[] i = new int[n];
        for (int k = 0; k < n; k++) {
            u[k] = pairs[2 * k];
            i[k] = pairs[2 * k + 1];
        }
        return org.diffmmj.data.Interactions.fromPairs(users, items, u, i);
    }

    static java.util.Map<String, Parameter> byName(java.util.List<Parameter> ps) {
        return ps.stream().collect(java.util.stream.Collectors.toMap(Parameter::name, java.util.function.Function.identity()));
    }

    /**
     * Copies a PyTorch denoiser's (DiffRec's DNN, DiffMM's Denoise) weights into ours: Linear
     * weights transposed, the first layer's (h × (items + emb)) weight split into its items and
     * time blocks.
     */
    void loadDenoiser(org.diffmmj.diffusion.Denoiser d, String source, int items) {
        java.util.Map<String, Parameter> p = byName(d.parameters());
        String prefix = d.modality() + ".denoiser.";
        load(p.get(prefix + "emb.weight"), transposed(source + "_emb_weight"));
        load(p.get(prefix + "emb.bias"), tensor(source + "_emb_bias"));
        int width = array(source + "_layer0_weight").cols();
        load(p.get(prefix + "layer0.weight.items"), transposedColumns(source + "_layer0_weight", 0, items));
        load(p.get(prefix + "layer0.weight.time"), transposedColumns(source + "_layer0_weight", items, width));
        load(p.get(prefix + "layer0.bias"), tensor(source + "_layer0_bias"));
        int layers = integer(source + "_layers");
        for (int k = 1; k < layers; k++) {
            load(p.get(prefix + "layer" + k + ".weight"), transposed(source + "_layer" + k + "_weight"));
            load(p.get(prefix + "layer" + k + ".bias"), tensor(source + "_layer" + k + "_bias"));
        }
        org.assertj.core.api.Assertions.assertThat(p).hasSize(5 + 2 * (layers - 1));
    }

    /**
     * A gradient against PyTorch's to 1e-5 of the array's largest magnitude (small entries are
     * sums that cancel, so a per-entry relative bound would test rounding).
     */
    static void assertGrad(Parameter p, Tensor expected) {
        float[] e = expected.toArray();
        double[] exp = new double[e.length];
        double scale = 0;
        for (int k = 0; k < e.length; k++) {
            exp[k] = e[k];
            scale = Math.max(scale, Math.abs(e[k]));
        }
        org.assertj.core.api.Assertions.assertThat(p.grad().shape()).isEqualTo(expected.shape());
        assertClose("grad " + p.name(), p.grad().toArray(), exp, 0, 1e-5 * scale);
        expected.close();
    }

    /** A denoiser's gradients in PyTorch's layout (first layer split as in {@link #loadDenoiser}). */
    void assertDenoiserGradients(org.diffmmj.diffusion.Denoiser d, String source, int items) {
        java.util.Map<String, Parameter> p = byName(d.parameters());
        String prefix = d.modality() + ".denoiser.";
        assertGrad(p.get(prefix + "emb.weight"), transposed(source + "_emb_weight"));
        assertGrad(p.get(prefix + "emb.bias"), tensor(source + "_emb_bias"));
        int width = array(source + "_layer0_weight").cols();
        assertGrad(p.get(prefix + "layer0.weight.items"), transposedColumns(source + "_layer0_weight", 0, items));
        assertGrad(p.get(prefix + "layer0.weight.time"), transposedColumns(source + "_layer0_weight", items, width));
        assertGrad(p.get(prefix + "layer0.bias"), tensor(source + "_layer0_bias"));
        for (int k = 1; p.containsKey(prefix + "layer" + k + ".weight"); k++) {
            assertGrad(p.get(prefix + "layer" + k + ".weight"), transposed(source + "_layer" + k + "_weight"));
            assertGrad(p.get(prefix + "layer" + k + ".bias"), tensor(source + "_layer" + k + "_bias"));
        }
    }

    /**
     * The multi-modal fixtures' dataset (tools/parity/mmrec_multimodal.py): "train_pairs" as the
     * training split, the named feature arrays ({@code <name>_feat}) as modalities in the given
     * order, and one placeholder pair as the validation and test splits (the parity tests never
     * evaluate).
     */
    org.diffmmj.data.Dataset multiModalDataset(String... modalities) {
        int users = integer("users");
        int items = integer("items");
        java.util.Map<String, org.diffmmj.data.FeatureMatrix> m = new java.util.LinkedHashMap<>();
        for (String name : modalities) {
            Array a = array(name + "_feat");
            m.put(name, new org.diffmmj.data.FeatureMatrix(name, a.rows(), a.cols(), a.floats()));
        }
        org.diffmmj.data.Interactions one = org.diffmmj.data.Interactions.fromPairs(users, items, new int[] {0}, new int[] {8});
        return new org.diffmmj.data.Dataset("parity", interactions(users, items), one, one, m,
                org.diffmmj.data.IdMapping.identity(users), org.diffmmj.data.IdMapping.identity(items));
    }
}
