"""The POS intake API: a signed loopback HTTP listener (``listener``), pure order parsing
(``schema``), request signing (``signature``), the OpenAPI document (``openapi``), the
outbound status webhook (``webhook``) and a sample POS client (``sim``)."""
