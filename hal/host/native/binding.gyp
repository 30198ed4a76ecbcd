{
  "targets": [
    {
      "target_name": "xs_tcp_tap",
      "sources": ["tap.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
