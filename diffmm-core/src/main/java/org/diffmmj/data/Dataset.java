package org.diffmmj.data;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Users, items, the three interaction splits and zero or more named item-feature modalities,
 * checked for consistency when built: a Dataset that exists is whole.
 */
public final class Dataset {

    private final String name;
    private final Interactions train;
    private final Interactions validation;
    private final Interactions test;
    private final Map<String, FeatureMatrix> modalities;
    private final IdMapping userIds;
    private final IdMapping itemIds;
    private String fingerprint;

    public Dataset(String name, Interactions train, Interactions validation, Interactions test,
                   Map<String, FeatureMatrix> modalities, IdMapping userIds, IdMapping itemIds) {
        this.name = name;
        int users = train.users();
        int items = train.items();
        check(validation.users() == users && validation.items() == items && test.users() == users
                && test.items() == items, "the splits have different shapes");
        check(train.size() > 0, "the training split is empty");
        check(validation.size() > 0, "the validation split is empty");
        check(test.size() > 0, "the test split is empty");
        for (FeatureMatrix f : modalities.values()) {
            check(f.rows() == items, "modality '" + f.name() + "' has " + f.rows() + " rows but there are " + items + " items");
        }
        check(userIds.size() == users, "user id mapping has " + userIds.size() + " ids for " + users + " users");
        check(itemIds.size() == items, "item id mapping has " + itemIds.size() + " ids for " + items + " items");
        this.train = train;
        this.validation = validation;
        this.test = test;
        this.modalities = Collections.unmodifiableMap(new LinkedHashMap<>(modalities));
        this.userIds = userIds;
        this.itemIds = itemIds;
    }

    private void check(boolean ok, String message) {
        if (!ok) {
            throw new DataFormatException("dataset '" + name + "': " + message);
        }
    }

    public String name() {
        return name;
    }

    public int users() {
        return train.users();
    }

    public int items() {
        return train.items();
    }

    public Interactions train() {
        return train;
    }

    public Interactions validation() {
        return validation;
    }

    public Interactions test() {
        return test;
    }

    public Map<String, FeatureMatrix> modalities() {
        return modalities;
    }

    public IdMapping userIds() {
        return userIds;
    }

    public IdMapping itemIds() {
        return itemIds;
    }

    /** Counts plus a SHA-256 over the interactions and features: equal data, equal fingerprint. */
    public synchronized String fingerprint() {
        if (fingerprint == null) {
            try {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                for (Interactions split : new Interactions[] {train, validation, test}) {
                    digest(md, split.userPtr());
                    digest(md, split.userItems());
                }
                for (FeatureMatrix f : modalities.values()) {
                    md.update(f.name().getBytes(StandardCharsets.UTF_8));
                    ByteBuffer b = ByteBuffer.allocate(f.data().length * 4).order(ByteOrder.LITTLE_ENDIAN);
                    b.asFloatBuffer().put(f.data());
                    md.update(b.array());
                }
                fingerprint = users() + "u-" + items() + "i-" + train.size() + "/" + validation.size() + "/"
                        + test.size() + "-" + HexFormat.of().formatHex(md.digest()).substring(0, 16);
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
        return fingerprint;
    }

    private static void digest(MessageDigest md, int[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(values);
        md.update(b.array());
    }
}
