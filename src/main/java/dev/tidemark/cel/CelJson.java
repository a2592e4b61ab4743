package dev.tidemark.cel;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cel.common.values.NullValue;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON as CEL values: objects become maps, arrays lists, integral
 * numbers int (long), other numbers double, and JSON null CEL's null. CEL has
 * no JSON-node binding of its own, only protobuf Struct, which would make every
 * number a double (so {@code record.count == 3} would need {@code 3.0}).
 */
public final class CelJson {

    private CelJson() {
    }

    public static Object toCel(JsonNode node) {
        switch (node.getNodeType()) {
            case OBJECT: {
                Map<String, Object> map = new LinkedHashMap<>();
                node.fields().forEachRemaining(field -> map.put(field.getKey(), toCel(field.getValue())));
                return map;
            }
            case ARRAY: {
                List<Object> list = new ArrayList<>(node.size());
                node.forEach(element -> list.add(toCel(element)));
                return list;
            }
            case STRING:
                return node.textValue();
            case BOOLEAN:
                return node.booleanValue();
            case NUMBER:
                return node.isIntegralNumber() && node.canConvertToLong() ? (Object) node.longValue() : (Object) node.doubleValue();
            case NULL:
            case MISSING:
                return NullValue.NULL_VALUE;
            default:
                // BINARY and POJO nodes never come out of parsing JSON text.
                return node.asText();
        }
    }
}
