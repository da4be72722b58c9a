"""Raw quantities behind the 19 GCPI indicators: pure functions of scalars or numpy arrays.

Each function accepts floats, numpy arrays or pandas Series (element-wise, broadcasting) and returns the
same shape. Missing inputs are ``nan`` and give ``nan`` (the engine then scores the indicator 0 and lists it
as missing); nothing is clipped. Functions do not validate ranges: :class:`index.models.PeriodData` does.

References
----------
.. [1] CAICT, Envision, Heying Data (2024). 数据中心全生命周期绿色算力指数白皮书, ch. 3.
.. [2] ISO/IEC 30134-2:2016 Power usage effectiveness (PUE).
.. [3] ISO/IEC 30134-3:2016 Renewable energy factor (REF).
.. [4] ISO/IEC 30134-6:2021 Energy reuse factor (ERF).
.. [5] ISO/IEC 30134-8:2022 Carbon usage effectiveness (CUE); ISO/IEC 30134-9:2022 Water usage effectiveness (WUE).
.. [6] ISO/IEC 30134-5:2017 IT equipment utilisation for servers (ITEUsv).
.. [7] GB 40879-2021 数据中心能效限定值及能效等级 (PUE definition for China).
.. [8] GHG Protocol Scope 2 Guidance (2015): location-based and market-based methods.
"""

from __future__ import annotations

import numpy as np

_ERR = {"divide": "ignore", "invalid": "ignore"}


def _ratio(num, den):
    with np.errstate(**_ERR):
        return np.divide(num, den)


def pue(total_energy_kwh, it_energy_kwh):
    """Power usage effectiveness: total facility energy / IT equipment energy.

    Parameters
    ----------
    total_energy_kwh : float or array
        Total facility energy over the period. [kWh]
    it_energy_kwh : float or array
        IT equipment energy over the same period. [kWh]

    Returns
    -------
    float or array
        PUE [-], ≥ 1 for consistent meters.

    References
    ----------
    ISO/IEC 30134-2:2016 §6; GB 40879-2021 §3.4; white paper ch. 3 §2(1).

    Examples
    --------
    >>> round(float(pue(1_185_000, 1_000_000)), 3)
    1.185
    """
    return _ratio(total_energy_kwh, it_energy_kwh)


def wue(water_m3, it_energy_kwh):
    """Water usage effectiveness: site water consumed per IT energy.

    Parameters
    ----------
    water_m3 : float or array
        Site water consumption. [m³]
    it_energy_kwh : float or array
        IT equipment energy. [kWh]

    Returns
    -------
    float or array
        WUE [L/kWh] (1 m³ = 1,000 L).

    References
    ----------
    ISO/IEC 30134-9:2022; 财库〔2023〕7号 uses the same L/kWh unit for its WUE ≤ 2.5 cap.

    Examples
    --------
    >>> float(wue(1_000, 2_000_000))
    0.5
    """
    return _ratio(np.multiply(water_m3, 1000.0), it_energy_kwh)


def renewable_share(renewable_kwh, total_energy_kwh):
    """Renewable share (REF): renewable electricity attributed to the facility / total facility energy.

    Parameters
    ----------
    renewable_kwh : float or array
        Renewable electricity: on-site, source-grid-load-storage, direct supply/PPA, bundled green-power
        trading, and unbundled GECs retired (see :func:`renewable_supply_kwh`). [kWh]
    total_energy_kwh : float or array
        Total facility energy. [kWh]

    Returns
    -------
    float or array
        Share [fraction 0–1].

    References
    ----------
    ISO/IEC 30134-3:2016; white paper ch. 3 §2(2) (可再生能源使用比例 = 可再生能源电力耗电量 / 总耗电量).
    """
    return _ratio(renewable_kwh, total_energy_kwh)


def gec_covered_kwh(grid_kwh, gec_mwh):
    """Grid electricity covered by retired unbundled GECs (1 GEC = 1 MWh) [kWh].

    Certificates can only cover electricity that was actually bought from the grid without attributes, so
    the covered amount is ``min(GEC × 1,000, grid_kwh)``; certificates beyond that are reported by the
    engine as excess, not counted.
    """
    return np.minimum(np.multiply(gec_mwh, 1000.0), grid_kwh)


def renewable_supply_kwh(onsite_kwh, sgls_kwh, direct_kwh, trading_kwh, gec_covered):
    """Total renewable electricity attributed to the facility by channel [kWh].

    Parameters are the channel amounts [kWh] (missing channels as 0); ``gec_covered`` from
    :func:`gec_covered_kwh`.
    """
    return np.add(np.add(np.add(onsite_kwh, sgls_kwh), np.add(direct_kwh, trading_kwh)), gec_covered)


def acquisition_quality(channel_kwh: dict, quality: dict):
    """Renewable acquisition-method quality: renewable-kWh-weighted mean of each channel's quality.

    Parameters
    ----------
    channel_kwh : dict of str -> float or array
        Renewable electricity per channel (``onsite``, ``sgls``, ``direct``, ``trading``, ``gec``). [kWh]
    quality : dict of str -> float
        Quality of each channel on 0–100 (methodology file; white paper ch. 3 §2(2) ranks self-built and
        source-grid-load-storage supply first).

    Returns
    -------
    float or array
        Quality [0–100]; ``nan`` where there is no renewable electricity.

    Examples
    --------
    >>> float(acquisition_quality({"onsite": 100.0, "gec": 300.0}, {"onsite": 100, "gec": 20}))
    40.0
    """
    num = 0.0
    den = 0.0
    for ch, kwh in channel_kwh.items():
        num = np.add(num, np.multiply(kwh, quality[ch]))
        den = np.add(den, kwh)
    with np.errstate(**_ERR):
        return np.where(np.greater(den, 0), _ratio(num, den), np.nan)


def acquisition_quality_by_volume(channel_kwh: dict, quality: dict, total_energy_kwh):
    """Renewable acquisition-method quality weighted by each channel's share of *total* energy.

    Grid electricity without renewable attributes has quality 0, so a facility that buys 0.1 % of its
    energy as on-site PV scores 0.1 % of the on-site quality, not the full on-site quality
    (:func:`acquisition_quality` weights by renewable kWh only).

    Parameters
    ----------
    channel_kwh : dict of str -> float or array
        Renewable electricity counted per channel (``onsite``, ``sgls``, ``direct``, ``trading``, ``gec``). [kWh]
    quality : dict of str -> float
        Quality of each channel on 0–100 (methodology file, AHP group ``acquisition``).
    total_energy_kwh : float or array
        Total facility energy. [kWh]

    Returns
    -------
    float or array
        Quality [0–100]; ``nan`` where total energy is missing or zero.

    References
    ----------
    White paper ch. 3 §2(2): 可再生能源比例和供给结构同样重要 (share and supply structure matter alike).

    Examples
    --------
    >>> float(acquisition_quality_by_volume({"onsite": 1_000.0, "gec": 0.0}, {"onsite": 100, "gec": 25}, 1e6))
    0.1
    """
    num = 0.0
    for ch, kwh in channel_kwh.items():
        num = np.add(num, np.multiply(kwh, quality[ch]))
    with np.errstate(**_ERR):
        return np.where(np.greater(total_energy_kwh, 0), _ratio(num, total_energy_kwh), np.nan)


def cpu_gpu_utilisation_weighted(cpu, gpu, gpu_power_share):
    """CPU/GPU utilisation weighted by the IT power each server class draws [fraction].

    ``(1 − s) × CPU + s × GPU`` with ``s`` the accelerator servers' share of IT power. With only one
    utilisation given, it stands for the whole fleet only when ``s`` confirms it (``s = 0`` for CPU only,
    ``s = 1`` for GPU only) or ``s`` is not given; with both given and no ``s``, or one missing while
    ``0 < s < 1``, the result is ``nan`` (missing), never a plain mean.

    Examples
    --------
    >>> round(float(cpu_gpu_utilisation_weighted(0.35, 0.55, 0.25)), 4)
    0.4
    """
    cpu, gpu, s = np.asarray(cpu, float), np.asarray(gpu, float), np.asarray(gpu_power_share, float)
    both = (1.0 - s) * cpu + s * gpu
    cpu_only = np.where(np.isnan(gpu) & (np.isnan(s) | (s == 0)), cpu, np.nan)
    gpu_only = np.where(np.isnan(cpu) & (np.isnan(s) | (s == 1)), gpu, np.nan)
    return np.where(~np.isnan(cpu) & ~np.isnan(gpu), both, np.where(np.isnan(gpu), cpu_only, gpu_only))


def storage_efficiency(storage_capacity_tb, it_energy_kwh, hours):
    """Storage efficiency (存效): installed storage capacity per watt of average IT power [GB/W] (= TB/kW).

    References
    ----------
    Seed 001 (CAICT 2025) note 18: 数据中心总存力规模与数据中心 IT 设备功耗的比值; national 102.2 GB/W (2024).

    Examples
    --------
    >>> float(storage_efficiency(1_022.0, 87_840.0, 8784))
    102.2
    """
    return _ratio(storage_capacity_tb, average_power_kw(it_energy_kwh, hours))


def rack_utilisation(racks_occupied, racks_ready):
    """Rack utilisation (上架率): racks in use / racks with completed M&E fit-out [fraction].

    References
    ----------
    White paper ch. 3 §1(2); national average 62.7 % in 2022 (CAICT, quoted there).
    """
    return _ratio(racks_occupied, racks_ready)


def it_load_rate(it_power_avg_kw, it_power_rated_kw):
    """IT load rate: average actual IT power / rated IT power of the running equipment [fraction].

    References
    ----------
    White paper ch. 3 §1(2) (服务器总实际功率与总额定功率的比值).
    """
    return _ratio(it_power_avg_kw, it_power_rated_kw)


def average_power_kw(energy_kwh, hours):
    """Average power over a period [kW] = energy [kWh] / duration [h]."""
    return _ratio(energy_kwh, hours)


def computing_efficiency(compute_capacity_tflops, total_energy_kwh, hours):
    """Computing energy efficiency (算力能效): compute capacity per watt of average facility power.

    Parameters
    ----------
    compute_capacity_tflops : float or array
        Installed compute capacity at the declared precision. [TFLOPS]
    total_energy_kwh : float or array
        Total facility energy over the period. [kWh]
    hours : float or array
        Period length. [h]

    Returns
    -------
    float or array
        [GFLOPS/W] (= TFLOPS/kW).

    References
    ----------
    White paper ch. 3 §1(1) (TFLOPS/W, after T-CECA-G 0284-2024). National reference 2024: 280 EFLOPS
    (FP32) over 166 TWh/8,784 h → 14.8 GFLOPS/W (seed 001).

    Examples
    --------
    >>> round(float(computing_efficiency(280e6, 166e9, 8784)), 2)
    14.82
    """
    return _ratio(compute_capacity_tflops, average_power_kw(total_energy_kwh, hours))


def carbon_efficiency(compute_capacity_tflops, emissions_t, hours):
    """Carbon efficiency of computing (算力碳效): compute capacity per annual tonne of CO₂e.

    Parameters
    ----------
    compute_capacity_tflops : float or array
        Installed compute capacity at the declared precision. [TFLOPS]
    emissions_t : float or array
        Scope 1 + scope 2 emissions over the period. [tCO2e]
    hours : float or array
        Period length [h]; emissions are annualised to 8,760 h.

    Returns
    -------
    float or array
        [TFLOPS/(tCO2e/yr)]; ``inf`` for a facility with zero emissions.

    References
    ----------
    White paper ch. 3 §2(3) (数据中心综合算力与碳排放的比值). National reference 2024: 280 EFLOPS / 85.9 Mt
    = 3.26 TFLOPS per t/yr (seed 001).
    """
    annual = _ratio(np.multiply(emissions_t, 8760.0), hours)
    with np.errstate(**_ERR):
        return np.where(np.equal(annual, 0) & np.greater(compute_capacity_tflops, 0), np.inf,
                        _ratio(compute_capacity_tflops, annual))


def erf(waste_heat_reused_kwh, total_energy_kwh):
    """Energy reuse factor: energy reused outside the data centre / total facility energy [fraction].

    References
    ----------
    ISO/IEC 30134-6:2021; Germany's EnEfG §11 requires 10/15/20 % for data centres starting 2026/27/28.
    """
    return _ratio(waste_heat_reused_kwh, total_energy_kwh)


def scope1_kg(diesel_l, natural_gas_m3, refrigerant_kgco2e, diesel_factor, gas_factor):
    """Scope 1 emissions: stationary combustion plus refrigerant leakage [kgCO2e].

    Parameters
    ----------
    diesel_l : float or array
        Diesel burnt. [L]
    natural_gas_m3 : float or array
        Natural gas burnt. [m³]
    refrigerant_kgco2e : float or array
        Refrigerant top-ups × GWP-100 (see :func:`refrigerant_kgco2e`). [kgCO2e]
    diesel_factor, gas_factor : float
        [kgCO2/L], [kgCO2/m³] from ``data/reference/fuel_factors.csv``.

    Examples
    --------
    >>> float(scope1_kg(1000, 0, 1300, 2.6, 2.17))
    3900.0
    """
    return np.add(np.add(np.multiply(diesel_l, diesel_factor), np.multiply(natural_gas_m3, gas_factor)),
                  refrigerant_kgco2e)


def refrigerant_kgco2e(kg, gwp):
    """Refrigerant top-up [kg] × GWP-100 [kgCO2e/kg] → [kgCO2e] (mass-balance method, GHG Protocol)."""
    return np.multiply(kg, gwp)


def scope2_location_kg(grid_delivered_kwh, grid_factor):
    """Location-based scope 2: all grid-delivered electricity × average grid factor [kgCO2].

    Parameters
    ----------
    grid_delivered_kwh : float or array
        Electricity taken from the grid whatever its contracts (total minus on-site generation). [kWh]
    grid_factor : float or array
        MEE average factor for the province (or region/nation) and year. [kgCO2/kWh]
    """
    return np.multiply(grid_delivered_kwh, grid_factor)


def scope2_market_kg(uncovered_grid_kwh, residual_factor):
    """Market-based scope 2: grid electricity not covered by renewable contracts or GECs × residual factor.

    Parameters
    ----------
    uncovered_grid_kwh : float or array
        Grid purchase without renewable attributes minus GEC-covered electricity. [kWh]
    residual_factor : float or array
        MEE national factor excluding market-traded non-fossil power. [kgCO2/kWh]

    Examples
    --------
    >>> float(scope2_market_kg(1_000_000, 0.5856))
    585600.0
    """
    return np.multiply(uncovered_grid_kwh, residual_factor)


def cue(emissions_kg, it_energy_kwh):
    """Carbon usage effectiveness: scope 1 + scope 2 emissions / IT energy [kgCO2e/kWh].

    For a grid-only facility without scope 1, CUE = grid factor × PUE.

    Examples
    --------
    >>> round(float(cue(0.5366 * 1.2e6, 1e6)), 5)
    0.64392
    """
    return _ratio(emissions_kg, it_energy_kwh)


def standard_racks(design_it_power_kw, standard_rack_kw):
    """Number of standard racks: design IT power / power of a standard rack (2.5 kW in China).

    References
    ----------
    工信部联通〔2013〕13号 《关于数据中心建设布局的指导意见》: standard rack = 2.5 kW.
    """
    return _ratio(design_it_power_kw, standard_rack_kw)
