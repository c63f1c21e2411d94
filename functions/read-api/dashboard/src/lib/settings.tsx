// Page-wide display settings: the time zone toggle (UTC by default) and a clock that ticks so
// every "age" shown stays true without refetching.
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import type { Zone } from "./time";

interface Settings {
  zone: Zone;
  setZone: (z: Zone) => void;
  now: number;
}

const Ctx = createContext<Settings>({ zone: "utc", setZone: () => {}, now: Date.now() });

export function SettingsProvider({ children }: { children: ReactNode }) {
  const [zone, setZoneState] = useState<Zone>(() =>
    localStorage.getItem("precog.zone") === "local" ? "local" : "utc",
  );
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 5000);
    return () => clearInterval(t);
  }, []);
  const setZone = (z: Zone) => {
    localStorage.setItem("precog.zone", z);
    setZoneState(z);
  };
  return <Ctx.Provider value={{ zone, setZone, now }}>{children}</Ctx.Provider>;
}

export const useSettings = () => useContext(Ctx);
