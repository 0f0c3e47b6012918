package dev.baton.plan;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link Cycles} finds what it found before it was made linear and allocation-light: the
 * implementation it replaced is kept here ({@link Before}) and both read the same random plans,
 * with repeated ids, dependencies on unknown tasks and on themselves, and several cycles.
 */
class CyclesTest {

    @Test
    void randomPlansHaveTheCyclesTheyHadBefore() {
        Random random = new Random(7);
        int withCycles = 0;
        for (int round = 0; round < 3_000; round++) {
            Plan plan = randomPlan(random, 1 + random.nextInt(40));
            List<List<String>> expected = Before.find(plan);
            if (!expected.isEmpty()) withCycles++;
            assertEquals(expected, Cycles.find(plan), plan.toString());
        }
        assertEquals(true, withCycles > 500, "too few plans with a cycle to compare: " + withCycles);
    }

    @Test
    void aLongChainAndALongCycle() {
        int n = 20_000;
        List<TaskSpec> tasks = new ArrayList<>();
        for (int i = 0; i < n; i++) tasks.add(waitTask("t" + i, i == 0 ? List.of() : List.of("t" + (i - 1))));
        assertEquals(List.of(), Cycles.find(new Plan(tasks)));
        tasks.set(0, waitTask("t0", List.of("t" + (n - 1))));
        Plan cyclic = new Plan(tasks);
        assertEquals(Before.find(cyclic), Cycles.find(cyclic));
        assertEquals(n + 1, Cycles.find(cyclic).get(0).size());
    }

    private static Plan randomPlan(Random random, int size) {
        List<TaskSpec> tasks = new ArrayList<>();
        double density = random.nextDouble() * 3 / size;
        for (int i = 0; i < size; i++) {
            String id = "t" + (random.nextInt(12) == 0 ? random.nextInt(size) : i); // now and then a repeated id
            List<String> dependsOn = new ArrayList<>();
            for (int j = 0; j < size; j++) {
                if (random.nextDouble() < density) dependsOn.add("t" + j);
            }
            if (random.nextInt(10) == 0) dependsOn.add("missing" + i);
            if (random.nextInt(10) == 0) dependsOn.add(id);
            Collections.shuffle(dependsOn, random);
            tasks.add(waitTask(id, dependsOn));
        }
        return new Plan(tasks);
    }

    private static TaskSpec waitTask(String id, List<String> dependsOn) {
        return new TaskSpec(id, null, new TaskAction.Wait(Duration.ZERO), dependsOn, null, null, null);
    }

    /** Cycles as it was before (commit b585148), word for word. */
    private static final class Before {
        /** Each cycle as task ids from its first task back to it, e.g. {@code [a, b, c, a]}; in plan order. */
        static List<List<String>> find(Plan plan) {
            Map<String, Integer> index = new LinkedHashMap<>();
            for (TaskSpec task : plan.tasks()) index.putIfAbsent(task.id(), index.size());
            List<String> ids = new ArrayList<>(index.keySet());
            List<Set<Integer>> edges = new ArrayList<>();
            for (int i = 0; i < ids.size(); i++) edges.add(new LinkedHashSet<>());
            for (TaskSpec task : plan.tasks()) {
                int from = index.get(task.id());
                for (String dependency : task.dependencies()) {
                    Integer to = index.get(dependency);
                    if (to != null && to != from) edges.get(from).add(to);
                }
            }
            int[][] graph = new int[ids.size()][];
            for (int i = 0; i < graph.length; i++) graph[i] = edges.get(i).stream().mapToInt(Integer::intValue).toArray();

            List<List<String>> cycles = new ArrayList<>();
            for (List<Integer> group : stronglyConnected(graph)) {
                if (group.size() < 2) continue;
                List<String> cycle = new ArrayList<>();
                for (int node : shortestCycle(graph, group)) cycle.add(ids.get(node));
                cycles.add(cycle);
            }
            cycles.sort((a, b) -> Integer.compare(index.get(a.get(0)), index.get(b.get(0))));
            return cycles;
        }

        /** Tarjan's algorithm without recursion. */
        private static List<List<Integer>> stronglyConnected(int[][] graph) {
            int n = graph.length;
            int[] order = new int[n];
            int[] low = new int[n];
            Arrays.fill(order, -1);
            boolean[] onStack = new boolean[n];
            Deque<Integer> stack = new ArrayDeque<>();
            List<List<Integer>> groups = new ArrayList<>();
            int counter = 0;
            for (int root = 0; root < n; root++) {
                if (order[root] != -1) continue;
                Deque<int[]> work = new ArrayDeque<>();
                order[root] = low[root] = counter++;
                stack.push(root);
                onStack[root] = true;
                work.push(new int[]{root, 0});
                while (!work.isEmpty()) {
                    int[] frame = work.peek();
                    int node = frame[0];
                    if (frame[1] < graph[node].length) {
                        int next = graph[node][frame[1]++];
                        if (order[next] == -1) {
                            order[next] = low[next] = counter++;
                            stack.push(next);
                            onStack[next] = true;
                            work.push(new int[]{next, 0});
                        } else if (onStack[next]) {
                            low[node] = Math.min(low[node], order[next]);
                        }
                        continue;
                    }
                    work.pop();
                    if (!work.isEmpty()) {
                        int parent = work.peek()[0];
                        low[parent] = Math.min(low[parent], low[node]);
                    }
                    if (low[node] == order[node]) {
                        List<Integer> group = new ArrayList<>();
                        int member;
                        do {
                            member = stack.pop();
                            onStack[member] = false;
                            group.add(member);
                        } while (member != node);
                        groups.add(group);
                    }
                }
            }
            return groups;
        }

        /** Breadth-first from the group's first node back to itself, staying inside the group. */
        private static List<Integer> shortestCycle(int[][] graph, List<Integer> group) {
            int start = Collections.min(group);
            Set<Integer> members = new LinkedHashSet<>(group);
            Map<Integer, Integer> cameFrom = new LinkedHashMap<>();
            Deque<Integer> queue = new ArrayDeque<>();
            queue.add(start);
            while (!queue.isEmpty()) {
                int node = queue.poll();
                for (int next : graph[node]) {
                    if (!members.contains(next)) continue;
                    if (next == start) {
                        List<Integer> path = new ArrayList<>();
                        path.add(start);
                        for (Integer at = node; at != start; at = cameFrom.get(at)) path.add(at);
                        path.add(start);
                        Collections.reverse(path);
                        return path;
                    }
                    if (!cameFrom.containsKey(next)) {
                        cameFrom.put(next, node);
                        queue.add(next);
                    }
                }
            }
            throw new IllegalStateException("a strongly connected group without a cycle through " + start);
        }
}
}
