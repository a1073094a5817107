# The native addon for node-gyp toolchains (CPU only): the same sources and flags as the
# primary build, CMakeLists.txt (cmake-js). Sources are listed from native/, not copied
# (scripts/native-sources.js globs what CMakeLists.txt globs); libtorch is the one that
# `npm install` recorded in build/torch-location.json (scripts/torch-paths.js).
#
# node-gyp writes to ./build, which cmake-js also uses (and `node-gyp rebuild` deletes it
# first): build this file with `npm run build:gyp` (scripts/build-gyp.js), which runs
# node-gyp in build/gyp/ and leaves build/Release/albert_native.node alone.
# No precompiled header here (the cmake-js build has one); native/common/torch.h is
# force-included instead, as cmake does with its precompiled header.
{
  "targets": [
    {
      "target_name": "albert_native",
      "sources": ["<!@(node scripts/native-sources.js)"],
      "include_dirs": [
        "native",
        "native/distributed/gloo_shim",
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node scripts/torch-paths.js include)"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "_GLIBCXX_USE_CXX11_ABI=1"
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      # As in CMakeLists.txt, every file sees native/common/torch.h first (there it is the
      # precompiled header, force-included by cmake): some headers rely on it.
      "cflags_cc": [
        "-std=gnu++20", "-fexceptions", "-frtti", "-Wno-unused-parameter",
        "-include", "<(module_root_dir)/native/common/torch.h"
      ],
      "libraries": ["<!@(node scripts/torch-paths.js libraries)"],
      "conditions": [
        ["OS=='mac'", {
          "xcode_settings": {
            "CLANG_CXX_LANGUAGE_STANDARD": "c++20",
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "GCC_ENABLE_CPP_RTTI": "YES"
          }
        }]
      ]
    }
  ]
}
