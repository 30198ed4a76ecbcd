/*
 * test/moddable/run.sh's native check in the Linux simulator: runs test/moddable/native_check.ts
 * (bundled as build/xs-tcp-native-check.js) once; its trace lines say what passed.
 */
import check from "xs-tcp/native-check";

export default function () {
	check();
}
