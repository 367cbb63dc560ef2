"""Observer-performance (MRMC) statistics for reader studies: data, figures of merit, OR and DBM analyses.

``analyze(load("study.csv"), method="or", fom="auc")`` — see :mod:`.mrmc` for the methods and references.
"""

from scanroom.reading.observer.data import FrocData, ObserverDataError, RatingData, load
from scanroom.reading.observer.fom import auc, delong_variance, structural_components
from scanroom.reading.observer.mrmc import Analysis, Comparison, MrmcResult, TreatmentEstimate, analyze, fom_table

__all__ = ["Analysis", "Comparison", "FrocData", "MrmcResult", "ObserverDataError", "RatingData",
           "TreatmentEstimate", "analyze", "auc", "delong_variance", "fom_table", "load", "structural_components"]
