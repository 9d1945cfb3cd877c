package org.diffmmj.data;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** Summary statistics of a dataset, as a JSON-ready map. */
public final class DataInfo {

    private DataInfo() {
    }

    public static Map<String, Object> of(Dataset d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", d.name());
        m.put("users", d.users());
        m.put("items", d.items());
        Map<String, Object> inter = new LinkedHashMap<>();
        inter.put("train", d.train().size());
        inter.put("validation", d.validation().size());
        inter.put("test", d.test().size());
        m.put("interactions", inter);
        m.put("train_density", d.train().size() / ((double) d.users() * d.items()));
        int coldUsers = 0;
        int coldUsersWithTest = 0;
        int[] userDeg = new int[d.users()];
        for (int u = 0; u < d.users(); u++) {
            userDeg[u] = d.train().userDegree(u);
            if (userDeg[u] == 0) {
                coldUsers++;
                if (d.test().userDegree(u) > 0) {
                    coldUsersWithTest++;
                }
            }
        }
        int coldItems = 0;
        int[] itemDeg = new int[d.items()];
        for (int i = 0; i < d.items(); i++) {
            itemDeg[i] = d.train().itemDegree(i);
            if (itemDeg[i] == 0) {
                coldItems++;
            }
        }
        m.put("cold_users", coldUsers);
        m.put("cold_users_with_test", coldUsersWithTest);
        m.put("cold_items", coldItems);
        m.put("user_degree", quantiles(userDeg));
        m.put("item_degree", quantiles(itemDeg));
        Map<String, Object> mods = new LinkedHashMap<>();
        d.modalities().values().forEach(f -> mods.put(f.name(), f.cols()));
        m.put("modalities", mods);
        m.put("fingerprint", d.fingerprint());
        return m;
    }

    private static Map<String, Object> quantiles(int[] values) {
        int[] s = values.clone();
        Arrays.sort(s);
        Map<String, Object> q = new LinkedHashMap<>();
        q.put("min", s[0]);
        for (double p : new double[] {0.25, 0.5, 0.75, 0.9, 0.99}) {
            q.put("p" + (int) Math.round(p * 100), s[(int) Math.min(s.length - 1, Math.floor(p * (s.length - 1)))]);
        }
        q.put("max", s[s.length - 1]);
        q.put("mean", Arrays.stream(s).average().orElse(0));
        return q;
    }
}
