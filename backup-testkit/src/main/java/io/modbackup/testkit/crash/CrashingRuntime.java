package io.modbackup.testkit.crash;

import io.modbackup.api.runtime.ClusterRuntime;
import io.modbackup.api.runtime.SupervisorRuntime;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;

/**
 * The runtime as a simulated process sees it: every call, on the cluster and on its Supervisors,
 * first checks that the {@link CrashSwitch} is alive, and a call to the method named
 * {@code crashBefore} kills it. So a "killed" engine cannot clean up after itself (discard staging,
 * install a restore) through the runtime it was using.
 */
public final class CrashingRuntime {
    private CrashingRuntime() {
    }

    /**
     * @param crashBefore name of the {@link ClusterRuntime} method whose call crashes the process
     *     before it reaches the runtime, or {@code null}
     * @param point the crash point's name, reported by {@link SimulatedCrash#point()}
     */
    public static ClusterRuntime wrap(ClusterRuntime runtime, CrashSwitch process, String crashBefore, String point) {
        return proxy(ClusterRuntime.class, runtime, process, crashBefore, point);
    }

    private static <T> T proxy(Class<T> type, T target, CrashSwitch process, String crashBefore, String point) {
        InvocationHandler handler = (proxy, method, args) -> {
            if (method.getDeclaringClass() == Object.class) {
                return method.invoke(target, args);
            }
            process.checkAlive();
            if (method.getName().equals(crashBefore)) {
                throw process.crash(point);
            }
            try {
                Object result = method.invoke(target, args);
                if (result instanceof SupervisorRuntime supervisor) {
                    return proxy(SupervisorRuntime.class, supervisor, process, crashBefore, point);
                }
                return result;
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, handler));
    }
}
