"""Order sources: one package per platform (美团外卖, 饿了么, ...) on one small kit."""
