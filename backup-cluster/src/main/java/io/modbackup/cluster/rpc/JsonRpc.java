package io.modbackup.cluster.rpc;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * What the JSON-RPC server and client agree on: a call is {@code POST /rpc/<service>/<method>} with the
 * arguments as a JSON array; the answer is {@code {"result": ...}} with status 200, or
 * {@code {"type": ..., "message": ...}} with status 500 naming the exception the callee threw. Methods
 * are found by name, so an exported interface has no overloads. A method returning a
 * {@link CompletableFuture} is answered when the future completes.
 */
public final class JsonRpc {
    private JsonRpc() {
    }

    /** The mapper both sides use: records, paths and byte arrays (as Base64) out of the box. */
    public static ObjectMapper mapper() {
        return new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    }

    /** The public methods of {@code api} by name. @throws IllegalArgumentException when one is overloaded */
    static Map<String, Method> methods(Class<?> api) {
        Map<String, Method> methods = new HashMap<>();
        for (Method method : api.getMethods()) {
            if (method.isDefault() || java.lang.reflect.Modifier.isStatic(method.getModifiers())) {
                continue;
            }
            if (methods.put(method.getName(), method) != null) {
                throw new IllegalArgumentException(api.getName() + " overloads " + method.getName()
                        + ": a JSON-RPC interface names each method once");
            }
        }
        return methods;
    }

    /** The type a method's answer carries: the future's value type for an asynchronous method. */
    static JavaType resultType(ObjectMapper json, Method method) {
        Type type = method.getGenericReturnType();
        if (method.getReturnType() == CompletableFuture.class && type instanceof ParameterizedType parameterized) {
            type = parameterized.getActualTypeArguments()[0];
        }
        return json.getTypeFactory().constructType(type);
    }
}
