package dev.baton.plan;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds the dependency cycles of a plan: one cycle per strongly connected group of tasks,
 * the shortest through the group's first task in plan order. (Breaking it may reveal another
 * cycle in the same group; a plan with thousands of tasks must not list exponentially many.)
 * Self-dependencies and dependencies on unknown tasks are not edges here: the validator
 * reports them on their own. Iterative, so deep plans do not overflow the stack.
 */
final class Cycles {

    private Cycles() {
    }

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
