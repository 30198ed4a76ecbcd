/*
 * xs-tcp in the Moddable simulator: the esp32 example's services on a simulated board, visited by a
 * simulated PC over the mock wire. Virtual time advances config.speed times as fast as real time.
 */
import config from "mc/config";
import Timer from "timer";
import { SimDemo } from "xs-tcp/sim";

export default function () {
	const demo = new SimDemo(line => trace(line + "\n"), { netstatMs: (Number(config.netstatSeconds) || 5) * 1000 });
	const step = 100;
	const speed = Number(config.speed) || 1;
	Timer.repeat(() => demo.run(step * speed), step);
}
